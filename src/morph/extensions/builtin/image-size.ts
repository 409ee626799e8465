/**
 * Disk image sizing (design.md 3.3): the size is `DISK_SIZE` when given,
 * otherwise computed from the tree's disk usage. Pure.
 */

const MiB = 1024 * 1024;

/** Space btrfs needs for itself on a small image (superblocks, chunk tree, mixed block groups). */
export const FILESYSTEM_OVERHEAD = 64 * MiB;

/** Below this, mkfs.btrfs needs mixed data/metadata block groups (`-M`): it refuses ~109 MiB and less otherwise. */
export const MIXED_MODE_LIMIT = 1024 * MiB;

/**
 * The image size for a tree using `treeBytes` on disk: 25% margin plus the
 * filesystem's overhead, rounded up to a MiB. btrfs slows down badly when
 * nearly full (design.md 3.3), hence the margin.
 */
export function computeImageSize(treeBytes: number): number {
  return Math.ceil((treeBytes * 1.25 + FILESYSTEM_OVERHEAD) / MiB) * MiB;
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
