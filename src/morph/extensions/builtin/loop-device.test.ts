import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createProcessContext } from '../api.js';
import { attachLoopDevice } from './loop-device.js';

const isRoot = process.getuid?.() === 0;

function loopColumn(device: string, column: string): string {
  return spawnSync('losetup', ['-n', '-O', column, device], { encoding: 'utf8' }).stdout.trim();
}

test('images are attached with direct I/O on a free device, detached by the cleanup stack', {
  skip: !isRoot,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'loop-device-'));
  const ctx = createProcessContext({}, new AbortController());
  try {
    const image = join(dir, 'disk.img');
    await writeFile(image, Buffer.alloc(8 * 1024 * 1024));
    const [a, b] = [await attachLoopDevice(ctx, image), await attachLoopDevice(ctx, image)];
    assert.notEqual(a.device, b.device, 'never a fixed device');
    assert.equal(loopColumn(a.device, 'BACK-FILE'), image);
    assert.equal(loopColumn(a.device, 'DIO'), '1', 'direct I/O: no second copy in the page cache');
    a.detach();
    assert.equal(loopColumn(a.device, 'BACK-FILE'), '');
    ctx.cleanup.unwind();
    assert.equal(loopColumn(b.device, 'BACK-FILE'), '');
  } finally {
    ctx.cleanup.unwind();
    await rm(dir, { recursive: true, force: true });
  }
});
