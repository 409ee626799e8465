import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  clampMtimes,
  makeOwnDirectory,
  SOURCE_DATE_EPOCH,
  withBuildUmask,
  writeOwnFile,
} from './hermetic.js';

test('clampMtimes dates everything newer than the epoch at the epoch, and keeps older times', async () => {
  const top = await mkdtemp(join(tmpdir(), 'hermetic-'));
  try {
    await mkdir(join(top, 'dir/sub'), { recursive: true });
    await writeFile(join(top, 'dir/sub/new'), 'x');
    await writeFile(join(top, 'dir/old'), 'x');
    await utimes(join(top, 'dir/old'), 0, 0);
    await symlink('sub/new', join(top, 'dir/link'));
    clampMtimes(top);
    for (const path of ['', 'dir', 'dir/sub', 'dir/sub/new', 'dir/link']) {
      assert.equal(lstatSync(join(top, path)).mtimeMs, SOURCE_DATE_EPOCH * 1000, path || '.');
    }
    assert.equal(lstatSync(join(top, 'dir/old')).mtimeMs, 0, 'an older time stays');
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('what morph writes itself has its mode whatever the umask', async () => {
  const top = await mkdtemp(join(tmpdir(), 'hermetic-'));
  const old = process.umask(0o077);
  try {
    await makeOwnDirectory(join(top, 'a/b'));
    await writeOwnFile(join(top, 'a/b/f'), 'x');
    await writeOwnFile(join(top, 'a/b/s'), 'x', 0o555);
    assert.equal(statSync(join(top, 'a')).mode & 0o7777, 0o755);
    assert.equal(statSync(join(top, 'a/b')).mode & 0o7777, 0o755);
    assert.equal(statSync(join(top, 'a/b/f')).mode & 0o7777, 0o644);
    assert.equal(statSync(join(top, 'a/b/s')).mode & 0o7777, 0o555);
  } finally {
    process.umask(old);
    await rm(top, { recursive: true, force: true });
  }
});

test('build commands run with umask 0022 whatever morph has', () => {
  const old = process.umask(0o077);
  try {
    const [program, argv] = withBuildUmask('sh', ['-c', 'umask']);
    assert.equal(execFileSync(program, argv, { encoding: 'utf8' }).trim(), '0022');
  } finally {
    process.umask(old);
  }
});
