import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const EXTS = fileURLToPath(new URL('../../../../../morphlib/exts/', import.meta.url));

async function makeTree(tree: string): Promise<void> {
  await mkdir(join(tree, 'usr', 'bin'), { recursive: true });
  await writeFile(join(tree, 'usr', 'bin', 'tool'), 'tool');
  await chmod(join(tree, 'usr', 'bin', 'tool'), 0o750);
  await link(join(tree, 'usr', 'bin', 'tool'), join(tree, 'usr', 'bin', 'alias'));
  await symlink('usr/bin', join(tree, 'bin'));
}

async function assertSystemAt(location: string): Promise<void> {
  assert.equal(await readFile(join(location, 'usr', 'bin', 'tool'), 'utf8'), 'tool');
  assert.equal(statSync(join(location, 'usr', 'bin', 'tool')).mode & 0o777, 0o750);
  assert.equal(
    statSync(join(location, 'usr', 'bin', 'tool')).ino,
    statSync(join(location, 'usr', 'bin', 'alias')).ino,
    'hard links are kept',
  );
  assert.equal(await readlink(join(location, 'bin')), 'usr/bin');
}

function write(tree: string, location: string) {
  return spawnSync(join(EXTS, 'sysroot.write'), [tree, location], { encoding: 'utf8' });
}

test('on the same filesystem the tree is moved into the location', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sysroot-test-'));
  try {
    await makeTree(join(dir, 'tree'));
    const result = write(join(dir, 'tree'), join(dir, 'out', 'nested'));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Moving the system into /m);
    await assertSystemAt(join(dir, 'out', 'nested'));
    assert.deepEqual(await readdir(join(dir, 'tree')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('from another filesystem (an overlay deploy tree) the tree is copied, not deleted from', {
  skip: !existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(tmpdir()).dev,
}, async () => {
  const treeDir = await mkdtemp('/dev/shm/sysroot-test-');
  const dir = await mkdtemp(join(tmpdir(), 'sysroot-test-'));
  try {
    await makeTree(join(treeDir, 'tree'));
    const result = write(join(treeDir, 'tree'), join(dir, 'out'));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Copying the system into /m);
    await assertSystemAt(join(dir, 'out'));
    await assertSystemAt(join(treeDir, 'tree'));
  } finally {
    await rm(treeDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});
