/** btrfs filesystem operations shared by the initial and upgrade rawdisk writes. */
import { rmdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExtensionContext, runTool, unmountSync } from '../api.js';
import { MIXED_MODE_LIMIT } from './image-size.js';

/** The label of every rawdisk filesystem. */
export const FILESYSTEM_LABEL = 'baserock';

/**
 * `mkfs.btrfs` for a device of `size` bytes (mixed block groups when small,
 * see image-size.ts), with filesystem UUID `uuid` when given (else random).
 */
export async function makeBtrfs(
  ctx: ExtensionContext,
  device: string,
  size: number,
  uuid?: string,
): Promise<void> {
  ctx.status(`Creating btrfs filesystem on ${device}`);
  const mixed = size < MIXED_MODE_LIMIT ? ['-M'] : [];
  const fixed = uuid === undefined ? [] : ['-U', uuid];
  await runTool(ctx, ['mkfs.btrfs', '-f', ...mixed, ...fixed, '-L', FILESYSTEM_LABEL, device]);
}

/** The UUID of the filesystem on `device` (the blkid cache bypassed: the device is new). */
export async function filesystemUuid(ctx: ExtensionContext, device: string): Promise<string> {
  const { stdout } = await runTool(ctx, ['blkid', '-c', '/dev/null', '-s', 'UUID', '-o', 'value', device]);
  return stdout.trim();
}

/** A mounted filesystem; `unmount` is idempotent and also registered on the cleanup stack. */
export interface Mount {
  path: string;
  unmount(): Promise<void>;
}

/** Mounts `device` on a new temporary directory. */
export async function mountFilesystem(ctx: ExtensionContext, device: string): Promise<Mount> {
  const path = await mkdtemp(join(ctx.env.TMPDIR || tmpdir(), 'rawdisk-mnt-'));
  const removeDir = ctx.cleanup.push(`remove ${path}`, () => rmdirSync(path));
  try {
    await runTool(ctx, ['mount', device, path]);
  } catch (err) {
    removeDir.release();
    throw err;
  }
  const handle = ctx.cleanup.push(`unmount ${path}`, () => unmountSync(path));
  return {
    path,
    async unmount() {
      // Write the filesystem out first (syncfs of this filesystem only, not
      // every dirty page on the host as a plain sync would): the image file
      // must be complete once this returns.
      await runTool(ctx, ['sync', '-f', path]);
      handle.release();
      removeDir.release();
    },
  };
}
