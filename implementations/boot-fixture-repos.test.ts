import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moduleLoadOrder } from './boot-fixture-repos.js';

const DEP = `kernel/fs/btrfs/btrfs.ko: kernel/crypto/xor.ko kernel/lib/raid6/raid6_pq.ko kernel/lib/libcrc32c.ko
kernel/crypto/xor.ko:
kernel/lib/raid6/raid6_pq.ko:
kernel/lib/libcrc32c.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko:
kernel/net/unrelated.ko:
`;

test('modules come after their dependencies, each once, unrelated ones left out', () => {
  assert.deepEqual(moduleLoadOrder(DEP, ['virtio_pci', 'virtio_blk', 'btrfs']), [
    'kernel/drivers/virtio/virtio.ko',
    'kernel/drivers/virtio/virtio_ring.ko',
    'kernel/drivers/virtio/virtio_pci.ko',
    'kernel/drivers/block/virtio_blk.ko',
    'kernel/crypto/xor.ko',
    'kernel/lib/raid6/raid6_pq.ko',
    'kernel/lib/libcrc32c.ko',
    'kernel/fs/btrfs/btrfs.ko',
  ]);
});

test('a module the kernel does not have is an error naming it', () => {
  assert.throws(() => moduleLoadOrder(DEP, ['ext4']), /module ext4 is not in the kernel's modules.dep/);
});
