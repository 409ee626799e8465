import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDeviceNodes, describeSpecialFile, deviceFromSpec } from './device-nodes.js';

test('device specs are normalised', () => {
  assert.deepEqual(
    deviceFromSpec({
      filename: '/dev/null',
      type: 'c',
      permissions: '0666',
      major: 1,
      minor: 3,
      uid: 0,
      gid: 0,
    }),
    { filename: 'dev/null', type: 'c', permissions: '0666', major: 1, minor: 3, uid: 0, gid: 0 },
  );
  assert.throws(() => deviceFromSpec({ filename: 'x', type: 'z' }), { reason: 'bad-device' });
});

test('device nodes are created and described back', { skip: process.getuid?.() !== 0 }, async () => {
  const top = await mkdtemp(join(tmpdir(), 'devices-'));
  try {
    const dev = {
      filename: 'null',
      type: 'c',
      permissions: '0666',
      major: 1,
      minor: 3,
      uid: 0,
      gid: 0,
    } as const;
    const fifo = {
      filename: 'pipe',
      type: 'p',
      permissions: '0600',
      major: 0,
      minor: 0,
      uid: 0,
      gid: 0,
    } as const;
    await createDeviceNodes(top, [dev, fifo]);
    await createDeviceNodes(top, [dev]);
    await createDeviceNodes(top, [{ ...dev, filename: 'dev/sub/null' }]);
    assert.deepEqual(await describeSpecialFile(top, 'dev/sub/null'), { ...dev, filename: 'dev/sub/null' });
    assert.deepEqual(await describeSpecialFile(top, 'null'), dev);
    assert.deepEqual(await describeSpecialFile(top, 'pipe'), fifo);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
