/**
 * Disk image sizing (docs/spec/design.md 3.3): the size is `DISK_SIZE` when given,
 * otherwise computed from the tree's disk usage. Pure.
 */

const MiB = 1024 * 1024;

/** Space btrfs needs for itself on a small image (superblocks, chunk tree, mixed block groups). */
export const FILESYSTEM_OVERHEAD = 64 * MiB;

/** Below this, mkfs.btrfs needs mixed data/metadata block groups (`-M`): it refuses ~109 MiB and less otherwise. */
export const MIXED_MODE_LIMIT = 1024 * MiB;

/**
 * The image size for a tree using `treeBytes` on disk: 25% margin plus the
 * filesystem's overhead, rounded up to a MiB; the ext4 images built without
 * root, and the least `DISK_SIZE` suggested in errors. New btrfs images get
 * more room (computeBtrfsImageSize).
 */
export function computeImageSize(treeBytes: number): number {
  return Math.ceil((treeBytes * 1.25 + FILESYSTEM_OVERHEAD) / MiB) * MiB;
}

/**
 * btrfs images get this many times the tree's disk usage when `DISK_SIZE`
 * is not set. btrfs throttles writers while its free space is short (it
 * flushes to make room for metadata reservations): copying a 370 MB,
 * 23,000-entry tree took 12-14 s into an image of 1.6x its usage, 11 s at
 * 2.8x, 6-7 s at 5.5x and no less at 11x (bench/RESULTS.md, Deploy).
 * The image is a sparse file, so the room costs no disk space, and an
 * upgrade (a second version beside the first) needs room anyway.
 */
export const BTRFS_HEADROOM = 5;

/** The size of a new btrfs image for a tree using `treeBytes`: BTRFS_HEADROOM times it plus the overhead, in whole MiB. */
export function computeBtrfsImageSize(treeBytes: number): number {
  return Math.ceil((treeBytes * BTRFS_HEADROOM + FILESYSTEM_OVERHEAD) / MiB) * MiB;
}

/**
 * The size of the pristine image of a system using `lowerBytes`
 * (pristine-image.ts): what a computed size would be, and never below
 * MIXED_MODE_LIMIT, so that it is an ordinary (not mixed) filesystem that
 * every image of at least this size can be grown from.
 */
export function pristineImageSize(lowerBytes: number): number {
  return Math.max(MIXED_MODE_LIMIT, computeBtrfsImageSize(lowerBytes));
}

/**
 * The smallest image that can hold the tree at all; a `DISK_SIZE` below it
 * is refused before anything is written.
 */
export function minimumImageSize(treeBytes: number): number {
  return treeBytes + 4 * MiB;
}

/** `20971520` → `20M`, for messages. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['G', 1024 * MiB],
    ['M', MiB],
    ['K', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)}M` : `${bytes}`;
}
