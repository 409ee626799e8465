/** Facts about a rawdisk deployment's target and tree that every way of writing it needs. */

import { statIfPresent } from '../../../shared/if-present.js';
import { type ExtensionContext, ExtensionError, removeSync, runTool, writeOutputAtomically } from '../api.js';
import { computeImageSize, formatSize, minimumImageSize } from './image-size.js';

/** Bytes the tree uses on disk (hard links once). */
export async function treeDiskUsage(ctx: ExtensionContext, tree: string): Promise<number> {
  const { stdout } = await runTool(ctx, ['du', '-s', '-x', '--block-size=1', tree]);
  return Number.parseInt(stdout, 10);
}

/** True when `path` is a block device (a disk to write to, not an image file). */
export async function isBlockDevice(path: string): Promise<boolean> {
  return (await statIfPresent(path))?.isBlockDevice() ?? false;
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

/**
 * Makes a disk image at `target` atomically (writeOutputAtomically):
 * `fill(raw)` creates and writes the raw image; for qcow2 it is made beside
 * the partial output and converted at the end (qcow2 cannot be loop-mounted).
 */
export async function writeImageAtomically(
  ctx: ExtensionContext,
  target: string,
  location: string,
  options: { format: string; compress: boolean },
  fill: (raw: string) => Promise<void>,
): Promise<void> {
  await writeOutputAtomically(ctx.cleanup, target, async (image) => {
    const raw = options.format === 'raw' ? image : `${image}.raw`;
    const rawRemoval = raw === image ? undefined : ctx.cleanup.push(`remove ${raw}`, () => removeSync(raw));
    try {
      await fill(raw);
      if (options.format === 'qcow2') {
        ctx.status(`Converting ${location} to qcow2`);
        const compress = options.compress ? ['-c'] : [];
        await runTool(ctx, ['qemu-img', 'convert', ...compress, '-f', 'raw', '-O', 'qcow2', raw, image]);
      }
    } finally {
      rawRemoval?.release();
    }
  });
}
