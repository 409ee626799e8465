import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { completeSystemFstab } from './rawdisk-layout.js';
import { isQcow2 } from './rawdisk-upgrade.js';

test('completing a system fstab creates the mount points of the state directories it adds', async () => {
  const root = await mkdtemp(join(tmpdir(), 'layout-'));
  try {
    await mkdir(join(root, 'etc'));
    await mkdir(join(root, 'var'));
    await utimes(root, 1000, 2000);
    const added = await completeSystemFstab(root, 'UUID=abc');
    assert.deepEqual(added, ['home', 'root', 'opt', 'srv', 'var']);
    for (const dir of added) assert.ok((await stat(join(root, dir))).isDirectory(), dir);
    // The root keeps its time and the new mount points get it: the tree does not depend on when.
    assert.equal((await stat(root)).mtimeMs, 2_000_000);
    assert.equal((await stat(join(root, 'srv'))).mtimeMs, 2_000_000);
    assert.match(
      await readFile(join(root, 'etc', 'fstab'), 'utf8'),
      /^UUID=abc {2}\/home {2}btrfs subvol=\/state\/home,/m,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a qcow2 image is told from a raw one by its first bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qcow2-'));
  try {
    await writeFile(join(dir, 'q'), Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]));
    await writeFile(join(dir, 'r'), Buffer.alloc(512));
    await writeFile(join(dir, 'short'), 'QF');
    assert.equal(await isQcow2(join(dir, 'q')), true);
    assert.equal(await isQcow2(join(dir, 'r')), false);
    assert.equal(await isQcow2(join(dir, 'short')), false);
    assert.equal(await isQcow2(join(dir, 'missing')), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
