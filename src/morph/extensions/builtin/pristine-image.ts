/**
 * The pristine image of a system artifact (docs/deploy.md, "Disk images
 * from a pristine image"): a btrfs filesystem holding only the part of the
 * rawdisk layout that the artifact determines (`systems/factory/orig`
 * filled from the shared checkout, `state/` empty), made once by the first
 * rawdisk deployment of the artifact and copied by every one, which then
 * only applies its own changes (rawdisk-cached.ts).
 *
 * It lives in the shared checkout's directory (DeployLayers.cache), so it
 * is removed with the checkout, as `PRISTINE_DIR/image` with
 * `PRISTINE_DIR/info.json`; it is made in a `.partial-rawdisk-*` directory
 * there and renamed into place complete, so that a reader never sees half
 * of one and two deployments making the same one at once both succeed
 * (the loser's copy is removed). Partial directories left by killed
 * deployments are removed by the next one after PARTIAL_GRACE_MS.
 */

import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readdirIfPresent, readFileIfPresent, statIfPresent } from '../../../shared/if-present.js';
import { invariant } from '../../../shared/invariant.js';
import { ownedPrefix } from '../../../shared/owned-name.js';
import { type ExtensionContext, removeSync, runTool } from '../api.js';
import { makeBtrfs, mountFilesystem } from './btrfs-image.js';
import { formatSize } from './image-size.js';
import { attachLoopDevice } from './loop-device.js';
import { createOrig } from './rawdisk-layout.js';

/**
 * The directory of the pristine image inside the checkout's directory;
 * the number changes whenever what a pristine image holds changes, so that
 * older ones are never used.
 */
export const PRISTINE_DIR = 'rawdisk-pristine-v1';

/** A partial pristine image older than this is a leftover of a killed deployment. */
export const PARTIAL_GRACE_MS = 60 * 60 * 1000;

/** A complete pristine image. */
export interface PristineImage {
  /** The image file: never write to it. */
  path: string;
  /** Its size (the filesystem's size) in bytes. */
  size: number;
  /** The disk usage of the tree it holds (`du` of the lower layer). */
  treeBytes: number;
}

interface PristineInfo {
  size: number;
  treeBytes: number;
}

/** The pristine image kept in `cacheDir`, if there is a complete one. */
export async function findPristineImage(cacheDir: string): Promise<PristineImage | undefined> {
  const dir = join(cacheDir, PRISTINE_DIR);
  const text = await readFileIfPresent(join(dir, 'info.json'));
  if (text === undefined) return undefined;
  const info = JSON.parse(text) as PristineInfo;
  const image = await statIfPresent(join(dir, 'image'));
  if (image?.size !== info.size) return undefined;
  return { path: join(dir, 'image'), size: info.size, treeBytes: info.treeBytes };
}

/**
 * Makes the pristine image of `tree` (the lower layer, `treeBytes` on disk)
 * in `cacheDir`, `size` bytes; when a concurrent deployment finished one
 * first, returns that one. Every exit path removes the partial image and
 * its mount and loop device.
 */
export async function makePristineImage(
  ctx: ExtensionContext,
  tree: string,
  cacheDir: string,
  size: number,
  treeBytes: number,
): Promise<PristineImage> {
  await removeStalePartials(cacheDir, Date.now());
  const partial = join(cacheDir, `${ownedPrefix('.partial-rawdisk-')}${randomUUID()}`);
  await mkdir(partial);
  const removal = ctx.cleanup.push(`remove partial pristine image ${partial}`, () => removeSync(partial));
  try {
    ctx.status(`Making the pristine ${formatSize(size)} image of the system (once per system artifact)`);
    const image = join(partial, 'image');
    await writeFile(image, '');
    await runTool(ctx, ['truncate', '-s', String(size), image]);
    const loop = await attachLoopDevice(ctx, image);
    await makeBtrfs(ctx, loop.device, size);
    const mount = await mountFilesystem(ctx, loop.device);
    loop.detach();
    try {
      await createOrig(ctx, tree, mount.path);
    } finally {
      await mount.unmount();
    }
    // The loop device wrote with direct I/O; the file's own metadata may still be in memory.
    await runTool(ctx, ['sync', image]);
    const info: PristineInfo = { size, treeBytes };
    await writeFile(join(partial, 'info.json'), `${JSON.stringify(info)}\n`);
    await runTool(ctx, ['sync', join(partial, 'info.json'), partial]);
    await rename(partial, join(cacheDir, PRISTINE_DIR)).catch((err: NodeJS.ErrnoException) => {
      // Made by a concurrent deployment meanwhile: use that one (ours is removed below).
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    removal.release();
  }
  const made = await findPristineImage(cacheDir);
  invariant(made !== undefined, `the pristine image in ${cacheDir} is there once made`);
  return made;
}

/** Removes partial pristine images older than PARTIAL_GRACE_MS (left by killed deployments). */
export async function removeStalePartials(cacheDir: string, now: number): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdirIfPresent(cacheDir)) {
    if (!name.startsWith('.partial-rawdisk-')) continue;
    const info = await statIfPresent(join(cacheDir, name));
    if (info === undefined || now - info.mtimeMs < PARTIAL_GRACE_MS) continue;
    removeSync(join(cacheDir, name));
    removed.push(name);
  }
  return removed;
}
