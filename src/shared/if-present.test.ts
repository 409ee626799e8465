import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lstatIfPresent, readdirIfPresent, readdirSyncIfPresent, statIfPresent } from './if-present.js';

test('only ENOENT is missing: other failures are thrown', async () => {
  const top = await mkdtemp(join(tmpdir(), 'if-present-'));
  try {
    await writeFile(join(top, 'file'), 'x');
    await symlink('nowhere', join(top, 'dangling'));
    assert.equal((await statIfPresent(join(top, 'file')))?.isFile(), true);
    assert.equal(await statIfPresent(join(top, 'absent')), undefined);
    assert.equal(await statIfPresent(join(top, 'dangling')), undefined);
    assert.equal((await lstatIfPresent(join(top, 'dangling')))?.isSymbolicLink(), true);
    await assert.rejects(statIfPresent(join(top, 'file', 'below')), { code: 'ENOTDIR' });
    if (process.getuid?.() !== 0) {
      await mkdir(join(top, 'shut'));
      await chmod(join(top, 'shut'), 0);
      await assert.rejects(lstatIfPresent(join(top, 'shut', 'x')), { code: 'EACCES' });
    }
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('a missing directory lists as empty; a file in its place is an error', async () => {
  const top = await mkdtemp(join(tmpdir(), 'if-present-'));
  try {
    await writeFile(join(top, 'file'), 'x');
    assert.deepEqual(await readdirIfPresent(top), ['file']);
    assert.deepEqual(readdirSyncIfPresent(top), ['file']);
    assert.deepEqual(await readdirIfPresent(join(top, 'absent')), []);
    assert.deepEqual(readdirSyncIfPresent(join(top, 'absent')), []);
    await assert.rejects(readdirIfPresent(join(top, 'file')), { code: 'ENOTDIR' });
    assert.throws(() => readdirSyncIfPresent(join(top, 'file')), { code: 'ENOTDIR' });
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
