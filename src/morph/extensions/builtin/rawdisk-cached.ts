/**
 * Initial rawdisk images from the artifact's pristine image (docs/deploy.md,
 * "Disk images from a pristine image"): instead of copying the system file
 * by file into a new filesystem (seconds of kernel CPU for a system of
 * 20,000 files), copy the pristine image that holds the system already
 * (pristine-image.ts, made once per artifact), give the copy a filesystem
 * UUID of its own (`btrfstune -u`), grow it to the wanted size, and apply
 * only what this deployment changed (upper-layer.ts) before the rest of the
 * layout is made as for any image (rawdisk-layout.ts).
 *
 * It is used when morph said what the deploy tree is made of
 * (deploy-layers.ts) and the image is an ordinary btrfs filesystem of at
 * least the pristine image's size on a plain file; otherwise (a block
 * device, `PARTITION_TABLE=mbr`, images under 1 GiB with mixed block
 * groups, a smaller `DISK_SIZE`, an overlay with `redirect_dir` or
 * `metacopy`) the system is copied per file as before.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { type ExtensionContext, runTool } from '../api.js';
import { checkDeployLayers, type DeployLayers, readDeployLayers } from '../deploy-layers.js';
import { filesystemUuid, mountFilesystem } from './btrfs-image.js';
import { clampImageTimes } from './derived-ids.js';
import { treeDiskUsage } from './disk-target.js';
import {
  computeBtrfsImageSize,
  formatSize,
  MIXED_MODE_LIMIT,
  minimumImageSize,
  pristineImageSize,
} from './image-size.js';
import { attachLoopDevice } from './loop-device.js';
import { findPristineImage, makePristineImage, type PristineImage } from './pristine-image.js';
import { finishSystemLayout, origPath } from './rawdisk-layout.js';
import type { RawdiskOptions } from './rawdisk-options.js';
import { applyUpperLayer } from './upper-layer.js';

/** An image to be made from a pristine image. */
export interface CachedImagePlan {
  pristine: PristineImage;
  /** The image's size in bytes (at least the pristine image's). */
  size: number;
  layers: DeployLayers;
}

/**
 * Decides whether the image of `tree` can be made from a pristine image,
 * making that image if this is the artifact's first deployment that can.
 * @returns undefined when the system must be copied per file (the reason
 *   goes to the log).
 */
export async function planCachedImage(
  ctx: ExtensionContext,
  tree: string,
  options: RawdiskOptions,
): Promise<CachedImagePlan | undefined> {
  const layers = readDeployLayers(ctx.env);
  if (layers === undefined) return undefined;
  const perFile = (why: string): undefined => {
    ctx.log(`rawdisk: copying the system per file: ${why}`);
    return undefined;
  };
  if (options.partitionTable) return perFile('PARTITION_TABLE=mbr');
  if (options.diskSize !== undefined && options.diskSize < MIXED_MODE_LIMIT) {
    return perFile(`DISK_SIZE ${formatSize(options.diskSize)} is below ${formatSize(MIXED_MODE_LIMIT)}`);
  }
  const mismatch = await checkDeployLayers(tree, layers);
  if (mismatch !== undefined) return perFile(mismatch);

  const found = await findPristineImage(layers.cache);
  const lowerBytes = found?.treeBytes ?? (await treeDiskUsage(ctx, layers.lower));
  // An upper bound of the merged tree's usage, without reading all of it.
  const used = lowerBytes + (await treeDiskUsage(ctx, layers.upper));
  const pristineSize = found?.size ?? pristineImageSize(lowerBytes);
  let size: number;
  if (options.diskSize !== undefined) {
    // The per-file path measures the merged tree and refuses what does not fit.
    if (options.diskSize < minimumImageSize(used)) return perFile('DISK_SIZE may be too small');
    if (options.diskSize < pristineSize) {
      return perFile(`DISK_SIZE is smaller than the pristine image (${formatSize(pristineSize)})`);
    }
    size = options.diskSize;
  } else {
    const computed = computeBtrfsImageSize(used);
    if (computed < MIXED_MODE_LIMIT) return perFile(`the computed size ${formatSize(computed)} is below 1G`);
    size = Math.max(computed, pristineSize);
    ctx.status(`DISK_SIZE not set: using ${formatSize(size)} for a ${formatSize(used)} system`);
  }
  if (found === undefined && !(await isWritable(layers.cache))) {
    return perFile(`there is no pristine image, and ${layers.cache} is not writable`);
  }
  const pristine =
    found ?? (await makePristineImage(ctx, layers.lower, layers.cache, pristineSize, lowerBytes));
  return { pristine, size, layers };
}

/** False for a directory on a read-only filesystem (or, not as root, without write permission). */
async function isWritable(dir: string): Promise<boolean> {
  return access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
}

/**
 * Fills the empty file `image` from the plan's pristine image: copy (holes
 * kept, reflinked where the filesystem can), new filesystem UUID, grown to
 * the plan's size, the deployment's changes applied to `orig`, then the
 * rest of the layout. The caller removes the file on failure; the mount and
 * loop device are undone on every exit path.
 */
export async function fillFromPristineImage(
  ctx: ExtensionContext,
  tree: string,
  image: string,
  plan: CachedImagePlan,
  options: RawdiskOptions,
  /** The image as the user named it (`image` may be a temporary raw file). */
  shown: string = image,
): Promise<void> {
  ctx.status('Copying the pristine image of the system');
  await runTool(ctx, ['cp', '--sparse=auto', '--reflink=auto', plan.pristine.path, image]);
  // Every copy needs a filesystem UUID of its own: the kernel refuses to
  // mount two filesystems with one UUID, and fstab and extlinux name it.
  // UUID_FROM=artifact: the derived one, else a random one.
  const newUuid = options.ids ? ['-U', options.ids.filesystemUuid] : ['-u'];
  await runTool(ctx, ['btrfstune', '-f', ...newUuid, image]);
  if (plan.size > plan.pristine.size) await runTool(ctx, ['truncate', '-s', String(plan.size), image]);
  await runTool(ctx, ['sync', image]);
  const uuid = await filesystemUuid(ctx, image);
  const loop = await attachLoopDevice(ctx, image);
  const mount = await mountFilesystem(ctx, loop.device);
  loop.detach();
  try {
    if (plan.size > plan.pristine.size) {
      await runTool(ctx, ['btrfs', 'filesystem', 'resize', 'max', mount.path]);
    }
    ctx.status("Applying the deployment's own changes");
    await applyUpperLayer(ctx, { merged: tree, upper: plan.layers.upper }, origPath(mount.path));
    await finishSystemLayout(ctx, tree, mount.path, uuid, { ...options, bootDisk: undefined });
    await clampImageTimes(ctx, mount.path);
  } finally {
    await mount.unmount();
  }
  ctx.status(`Disk image ${shown} is ready (filesystem UUID ${uuid})`);
}
