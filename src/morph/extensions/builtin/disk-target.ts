/** Facts about a rawdisk deployment's target and tree that every way of writing it needs. */
import { stat } from 'node:fs/promises';
import { type ExtensionContext, ExtensionError, runTool } from '../api.js';
import { computeImageSize, formatSize, minimumImageSize } from './image-size.js';

/** Bytes the tree uses on disk (hard links once). */
export async function treeDiskUsage(ctx: ExtensionContext, tree: string): Promise<number> {
  const { stdout } = await runTool(ctx, ['du', '-s', '-x', '--block-size=1', tree]);
  return Number.parseInt(stdout, 10);
}

/** True when `path` is a block device (a disk to write to, not an image file). */
export async function isBlockDevice(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isBlockDevice() ?? false;
}

/**
 * Refuses a `DISK_SIZE` that a system using `used` bytes cannot fit in.
 * @throws ExtensionError `disk-too-small`.
 */
export function checkDiskSize(diskSize: number, used: number): void {
  if (diskSize < minimumImageSize(used)) {
    throw new ExtensionError(
      'disk-too-small',
      `DISK_SIZE ${formatSize(diskSize)} is too small for the system, which uses ${formatSize(used)}`,
      { hint: `use at least ${formatSize(computeImageSize(used))}, or leave DISK_SIZE unset` },
    );
  }
}
