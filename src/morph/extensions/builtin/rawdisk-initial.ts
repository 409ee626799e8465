/**
 * Initial rawdisk deployment (docs/spec/morph.md 7.4, docs/spec/design.md 3.3): a sparse image
 * (or a block device), optionally partitioned, attached with
 * `losetup --show -f`, formatted as btrfs, mounted, filled with the layout,
 * unmounted and detached, then converted to qcow2 if asked. Every exit path
 * unmounts, detaches and removes a half-written image. Where morph says what
 * the deploy tree is made of, the image is a copy of the artifact's
 * pristine image with the deployment's changes applied instead
 * (rawdisk-cached.ts).
 */

import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { lstatIfPresent } from '../../../shared/if-present.js';
import { type ExtensionContext, ExtensionError, runTool } from '../api.js';
import { checkBootFiles } from './boot-files.js';
import { filesystemUuid, makeBtrfs, mountFilesystem } from './btrfs-image.js';
import { clampImageTimes } from './derived-ids.js';
import { checkDiskSize, isBlockDevice, treeDiskUsage, writeImageAtomically } from './disk-target.js';
import { computeBtrfsImageSize, formatSize } from './image-size.js';
import { attachLoopDevice } from './loop-device.js';
import { fillFromPristineImage, planCachedImage } from './rawdisk-cached.js';
import { createSystemLayout } from './rawdisk-layout.js';
import type { RawdiskOptions } from './rawdisk-options.js';

/** Decides the image size, refusing a `DISK_SIZE` the tree cannot fit in. */
async function imageSize(ctx: ExtensionContext, tree: string, options: RawdiskOptions): Promise<number> {
  const used = await treeDiskUsage(ctx, tree);
  if (options.diskSize === undefined) {
    const size = computeBtrfsImageSize(used);
    ctx.status(`DISK_SIZE not set: using ${formatSize(size)} for a ${formatSize(used)} system`);
    return size;
  }
  checkDiskSize(options.diskSize, used);
  return options.diskSize;
}

/** Writes a new system image (or device) at `location`. */
export async function writeInitialRawdisk(
  ctx: ExtensionContext,
  tree: string,
  location: string,
  options: RawdiskOptions,
): Promise<void> {
  await checkBootFiles(tree, options);
  const target = resolve(location);
  if (await isBlockDevice(target)) {
    const size = Number((await runTool(ctx, ['blockdev', '--getsize64', target])).stdout.trim());
    await fillDisk(ctx, tree, target, size, options, false);
    return;
  }
  // From the artifact's pristine image when possible (rawdisk-cached.ts), else per file.
  const plan = await planCachedImage(ctx, tree, options);
  const size = plan?.size ?? (await imageSize(ctx, tree, options));
  ctx.status(`Creating ${formatSize(size)} disk image ${location}`);
  if ((await lstatIfPresent(target)) !== undefined) {
    throw new ExtensionError('location-exists', `There is already a file at ${location}`, {
      hint: 'use `morph upgrade` to upgrade an existing image',
    });
  }
  // Made beside the target and renamed when complete: a killed deploy leaves nothing at the location.
  await writeImageAtomically(ctx, target, location, options, async (raw) => {
    const file = await open(raw, 'wx');
    if (plan) {
      await file.close();
      await fillFromPristineImage(ctx, tree, raw, plan, options, location);
    } else {
      await file.truncate(size).finally(() => file.close());
      await fillDisk(ctx, tree, raw, size, options, true, location);
    }
  });
}

async function fillDisk(
  ctx: ExtensionContext,
  tree: string,
  disk: string,
  size: number,
  options: RawdiskOptions,
  isImage: boolean,
  /** The image as the user named it (`disk` may be a temporary raw file). */
  shown: string = disk,
): Promise<void> {
  const loop = isImage ? await attachLoopDevice(ctx, disk) : undefined;
  const device = loop?.device ?? disk;
  if (options.partitionTable) {
    ctx.status('Writing the partition table');
    const labelId = options.ids ? `label-id: ${options.ids.diskId}\n` : '';
    await runTool(ctx, ['sfdisk', '--quiet', device], {
      input: `label: dos\n${labelId}start=2048, type=83, bootable\n`,
    });
    await runTool(ctx, ['partprobe', device]);
  }
  // Never fall back to the whole disk here: mkfs would wipe the partition table.
  let filesystem = device;
  if (options.partitionTable) {
    filesystem = loop ? await loop.partition() : `${device}${/\d$/.test(device) ? 'p' : ''}1`;
  }
  await makeBtrfs(ctx, filesystem, size, options.ids?.filesystemUuid);
  const uuid = await filesystemUuid(ctx, filesystem);
  const mount = await mountFilesystem(ctx, filesystem);
  // Detaching a mounted loop device only marks it: the kernel frees it at the unmount.
  loop?.detach();
  try {
    await createSystemLayout(ctx, tree, mount.path, uuid, {
      ...options,
      bootDisk: options.partitionTable ? device : undefined,
    });
    await clampImageTimes(ctx, mount.path);
  } finally {
    await mount.unmount();
  }
  ctx.status(`Disk image ${shown} is ready (filesystem UUID ${uuid})`);
}
