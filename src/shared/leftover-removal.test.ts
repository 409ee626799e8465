import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loopDevicesUnder, pathInFilesystem, removeLeftover } from './leftover-removal.js';

test('a path on a mounted filesystem is also spelt from that filesystem’s root', () => {
  assert.equal(pathInFilesystem('/'), undefined);
  if (existsSync('/dev/shm') && spawnSync('mountpoint', ['-q', '/dev/shm']).status === 0) {
    assert.equal(pathInFilesystem('/dev/shm/yarn-run-x/f'), '/yarn-run-x/f');
  }
});

const canAttach = process.getuid?.() === 0 && spawnSync('losetup', ['--version']).status === 0;

test('a loop device attached in a dead private mount namespace is found and detached with its leftover', {
  skip: canAttach ? false : 'needs root and losetup',
}, () => {
  const base = existsSync('/dev/shm') ? '/dev/shm' : '/tmp';
  const leftover = mkdtempSync(join(base, 'leftover-test-p1-'));
  const image = join(leftover, 'disk.img');
  writeFileSync(image, Buffer.alloc(1024 * 1024));
  const attach = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'losetup', '--show', '-f', image],
    { encoding: 'utf8' },
  );
  if (attach.status !== 0) {
    spawnSync('rm', ['-rf', leftover]);
    return; // no loop devices in this sandbox
  }
  const device = attach.stdout.trim();
  try {
    assert.deepEqual(loopDevicesUnder(leftover), [device]);
    assert.equal(removeLeftover(leftover).loopDevices, 1);
    assert.deepEqual(loopDevicesUnder(leftover), []);
    assert.equal(existsSync(leftover), false);
  } finally {
    spawnSync('losetup', ['-d', device]);
    spawnSync('rm', ['-rf', leftover]);
  }
});
