import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BTRFS_HEADROOM,
  computeBtrfsImageSize,
  computeImageSize,
  formatSize,
  MIXED_MODE_LIMIT,
  minimumImageSize,
  pristineImageSize,
} from './image-size.js';
import { readRawdiskOptions } from './rawdisk-options.js';

const MiB = 1024 * 1024;

test('computed sizes add 25% and the filesystem overhead, in whole MiB', () => {
  assert.equal(computeImageSize(0), 64 * MiB);
  assert.equal(computeImageSize(100 * MiB), 189 * MiB);
  assert.equal(computeImageSize(1), 65 * MiB);
  assert.ok(minimumImageSize(10 * MiB) < computeImageSize(10 * MiB));
  assert.deepEqual([20 * MiB, 1024 * MiB, 4096, 1536 * 1024].map(formatSize), ['20M', '1G', '4K', '1536K']);
});

test('new btrfs images get BTRFS_HEADROOM times the tree plus the overhead, in whole MiB', () => {
  assert.equal(BTRFS_HEADROOM, 5);
  assert.equal(computeBtrfsImageSize(0), 64 * MiB);
  assert.equal(computeBtrfsImageSize(100 * MiB), 564 * MiB);
  assert.equal(computeBtrfsImageSize(1), 65 * MiB);
  assert.ok(computeBtrfsImageSize(371e6) > (4 * computeImageSize(371e6)) / 1.25);
});

test('pristine images have the computed size, and at least the size of an ordinary (not mixed) filesystem', () => {
  assert.equal(pristineImageSize(10 * MiB), MIXED_MODE_LIMIT);
  assert.equal(pristineImageSize(371e6), computeBtrfsImageSize(371e6));
  assert.ok(pristineImageSize(371e6) > MIXED_MODE_LIMIT);
});

test('rawdisk options are read and validated once', () => {
  const options = readRawdiskOptions({ DISK_SIZE: '20M', UPGRADE: 'yes', VERSION_LABEL: 'v2' }, 'x64');
  assert.equal(options.diskSize, 20 * MiB);
  assert.equal(options.upgrade, true);
  assert.equal(options.bootloaderConfig, true);
  assert.equal(options.installBootloader, true);
  assert.equal(options.rootDevice, '/dev/sda');
  assert.equal(options.format, 'raw');
  assert.equal(readRawdiskOptions({}, 'arm64').bootloaderConfig, false);
  assert.equal(readRawdiskOptions({ BOOTLOADER_CONFIG_FORMAT: 'extlinux' }, 'arm64').bootloaderConfig, true);
  assert.equal(readRawdiskOptions({ BOOTLOADER_INSTALL: 'none' }).installBootloader, false);
  assert.equal(readRawdiskOptions({}).diskSize, undefined);
  for (const env of [
    { BOOTLOADER_CONFIG_FORMAT: 'grub' },
    { BOOTLOADER_INSTALL: 'grub' },
    { DISK_FORMAT: 'vmdk' },
    { PARTITION_TABLE: 'gpt' },
  ]) {
    assert.throws(() => readRawdiskOptions(env), { code: 'extension/bad-parameter' });
  }
  assert.throws(() => readRawdiskOptions({ DISK_SIZE: 'big' }), { code: 'extension/bad-size' });
});
