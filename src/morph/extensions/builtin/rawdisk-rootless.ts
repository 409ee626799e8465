/**
 * Initial rawdisk deployment without root (docs/spec/design.md 3.3): no loop device
 * and no mount. The layout is staged as plain directories in a temporary
 * directory and turned into an ext4 filesystem by `mkfs.ext4 -d` (which
 * keeps hard links), written straight into the image file, at the first
 * partition's offset when `PARTITION_TABLE=mbr` (sfdisk on a file needs no
 * root either). Differences from the btrfs layout (docs/deploy.md):
 *
 *     systems/factory/orig   a directory, not a subvolume
 *     systems/factory/run    a full copy of orig, not a snapshot
 *     systems/default        symlink to factory (as with btrfs)
 *     state/                 absent: ext4 cannot mount subdirectories, so the
 *                            state directories stay in the system version
 *
 * Files the unprivileged user had to own in the staging tree are given
 * back to root in the image (`debugfs set_inode_field`), as fakeroot would.
 * The boot sector cannot be installed: `extlinux --install` needs the
 * filesystem mounted. Upgrades need root (rawdisk-upgrade.ts).
 */

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { lstatIfPresent, readFileIfPresent, statIfPresent } from '../../../shared/if-present.js';
import { type ExtensionContext, ExtensionError, removeSync, runTool } from '../api.js';
import { checkBootFiles, installBootFiles, writeBootloaderConfig } from './boot-files.js';
import { FILESYSTEM_LABEL } from './btrfs-image.js';
import { clampImageTimes } from './derived-ids.js';
import { isBlockDevice, treeDiskUsage, writeImageAtomically } from './disk-target.js';
import { bootPartitionSize, writeFatBootPartition } from './fat-boot-partition.js';
import { completeExt4Fstab } from './fstab-layout.js';
import { computeImageSize, formatSize, minimumImageSize } from './image-size.js';
import { INITIAL_LABEL } from './rawdisk-layout.js';
import type { RawdiskOptions } from './rawdisk-options.js';

const MiB = 1024 * 1024;

/** Where the filesystem starts with `PARTITION_TABLE=mbr` (sector 2048, as in rawdisk-initial.ts). */
export const PARTITION_OFFSET = MiB;

/** The image file and offset debugfs/e2fsck open: `image?offset=N` for a partitioned image. */
export function filesystemPath(image: string, offset: number): string {
  return offset === 0 ? image : `${image}?offset=${offset}`;
}

/**
 * Decides the image size. The system is stored twice (orig and run are
 * copies, not snapshots), so the rules of image-size.ts apply to twice the
 * tree's usage.
 */
async function imageSize(
  ctx: ExtensionContext,
  tree: string,
  options: RawdiskOptions,
  bootSize: number,
): Promise<number> {
  const used = 2 * (await treeDiskUsage(ctx, tree));
  const extra = options.partitionTable ? PARTITION_OFFSET + bootSize : 0;
  if (options.diskSize === undefined) {
    const size = computeImageSize(used) + extra;
    ctx.status(`DISK_SIZE not set: using ${formatSize(size)} for two copies (orig and run) of the system`);
    return size;
  }
  if (options.diskSize < minimumImageSize(used) + extra) {
    throw new ExtensionError(
      'disk-too-small',
      `DISK_SIZE ${formatSize(options.diskSize)} is too small for two copies (orig and run) of the system, ` +
        `which use ${formatSize(used)} without root`,
      { hint: `use at least ${formatSize(computeImageSize(used) + extra)}, or leave DISK_SIZE unset` },
    );
  }
  return options.diskSize;
}

/** Bytes of the boot files the tree has (first kernel found, initramfs, dtb). */
async function treeBootFilesSize(tree: string, options: RawdiskOptions): Promise<number> {
  const sizeOf = async (path: string) => (await statIfPresent(join(tree, path)))?.size;
  let kernel = 0;
  for (const name of ['vmlinuz', 'zImage', 'uImage']) {
    const found = await sizeOf(join('boot', name));
    if (found !== undefined) {
      kernel = found;
      break;
    }
  }
  const initramfs = options.initramfsPath ? ((await sizeOf(options.initramfsPath)) ?? 0) : 0;
  const dtb = options.dtbPath ? ((await sizeOf(options.dtbPath)) ?? 0) : 0;
  return kernel + initramfs + dtb;
}

/** Stages the layout of an initial deployment under `root`. */
async function stageLayout(
  ctx: ExtensionContext,
  tree: string,
  root: string,
  uuid: string,
  options: RawdiskOptions,
  fatBoot: boolean,
): Promise<void> {
  const versionRoot = join(root, 'systems', INITIAL_LABEL);
  const orig = join(versionRoot, 'orig');
  await mkdir(orig, { recursive: true });
  ctx.status('Copying the system into the staging directory');
  await runTool(ctx, ['cp', '-a', `${tree}/.`, `${orig}/.`]);
  const fstab = join(orig, 'etc', 'fstab');
  await mkdir(dirname(fstab), { recursive: true });
  const text = (await readFileIfPresent(fstab)) ?? '';
  const completed = completeExt4Fstab(text, `UUID=${uuid}`);
  if (completed !== text) await writeFile(fstab, completed, { mode: 0o644 });
  await runTool(ctx, ['cp', '-a', orig, join(versionRoot, 'run')]);
  await symlink(INITIAL_LABEL, join(root, 'systems', 'default'));
  await installBootFiles(ctx, tree, versionRoot, options);
  if (options.bootloaderConfig) {
    await writeBootloaderConfig(ctx, root, orig, uuid, options);
    if (options.installBootloader && !fatBoot) {
      ctx.status(
        'BOOTLOADER_INSTALL=extlinux skipped: without root the filesystem cannot be mounted for ' +
          '`extlinux --install`, so the image has extlinux.conf but no boot sector ' +
          '(use PARTITION_TABLE=mbr for a FAT boot partition with syslinux, or set BOOTLOADER_INSTALL=none)',
      );
    }
  }
}

/** Paths (relative to `root`, with a leading `/`) of every entry owned by `uid`. */
async function pathsOwnedBy(root: string, uid: number): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if ((await lstat(path)).uid === uid) found.push(`/${relative(root, path)}`);
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return found;
}

/**
 * Gives the entries the unprivileged user owns in the staging tree to root
 * in the image (uid and gid 0).
 * @throws ExtensionError `bad-path` for a name debugfs cannot quote.
 */
async function giveToRoot(ctx: ExtensionContext, staging: string, fs: string, script: string): Promise<void> {
  const uid = process.geteuid?.() ?? 0;
  if (uid === 0) return;
  const paths = await pathsOwnedBy(staging, uid);
  const bad = paths.find((path) => /["\n\\]/.test(path));
  if (bad !== undefined) {
    throw new ExtensionError(
      'bad-path',
      `Cannot build a rootless image with the file name ${JSON.stringify(bad)}`,
    );
  }
  ctx.status(`Giving ${paths.length} files to root in the image`);
  const commands = paths.flatMap((path) => [`sif "${path}" uid 0`, `sif "${path}" gid 0`]);
  await writeFile(script, `${commands.join('\n')}\n`);
  await runTool(ctx, ['debugfs', '-w', '-f', script, fs]);
}

/**
 * Removes a copied tree; `chmod -R u+rwX` first, since an unprivileged user
 * cannot delete entries of the tree's read-only directories. Synchronous:
 * it runs from the cleanup stack, on signals too.
 */
function removeTreeSync(path: string): void {
  spawnSync('chmod', ['-R', 'u+rwX', path], { stdio: 'ignore' });
  removeSync(path);
}

/** Writes a new ext4 system image at `location` without root. */
export async function writeRootlessRawdisk(
  ctx: ExtensionContext,
  tree: string,
  location: string,
  options: RawdiskOptions,
): Promise<void> {
  await checkBootFiles(tree, options);
  const target = resolve(location);
  if (await isBlockDevice(target)) {
    throw new ExtensionError('needs-root', `Writing to the block device ${location} needs root`, {
      hint: 'deploy to an image file, or run morph as root',
    });
  }
  // A partitioned image gets a FAT boot partition first when a bootloader is wanted: syslinux needs no mount.
  const fatBoot = options.partitionTable && options.bootloaderConfig && options.installBootloader;
  const bootSize = fatBoot ? bootPartitionSize(await treeBootFilesSize(tree, options)) : 0;
  const size = await imageSize(ctx, tree, options, bootSize);
  const work = await mkdtemp(join(ctx.env.TMPDIR || tmpdir(), 'rawdisk-rootless-'));
  const removeWork = ctx.cleanup.push(`remove ${work}`, () => removeTreeSync(work));
  if ((await lstatIfPresent(target)) !== undefined) {
    throw new ExtensionError('location-exists', `There is already a file at ${location}`, {
      hint: 'use another location',
    });
  }
  try {
    const staging = join(work, 'root');
    const uuid = options.ids?.filesystemUuid ?? randomUUID();
    await stageLayout(ctx, tree, staging, uuid, options, fatBoot);
    await clampImageTimes(ctx, staging);

    ctx.status(`Creating ${formatSize(size)} disk image ${location} (ext4, without root)`);
    // Made beside the target and renamed when complete: a killed deploy leaves nothing at the location.
    await writeImageAtomically(ctx, target, location, options, async (raw) => {
      const file = await open(raw, 'wx');
      await file.truncate(size).finally(() => file.close());
      const offset = options.partitionTable ? PARTITION_OFFSET + bootSize : 0;
      const hashSeed = options.ids ? [`hash_seed=${options.ids.hashSeed}`] : [];
      const extended = [`root_owner=0:0`, ...hashSeed, ...(offset ? [`offset=${offset}`] : [])].join(',');
      if (options.partitionTable) {
        ctx.status('Writing the partition table');
        const labelId = options.ids ? `label-id: ${options.ids.diskId}\n` : '';
        await runTool(ctx, ['sfdisk', '--quiet', raw], {
          input: fatBoot
            ? `label: dos\n${labelId}start=2048, size=${bootSize / 512}, type=e, bootable\nstart=${offset / 512}, type=83\n`
            : `label: dos\n${labelId}start=2048, type=83, bootable\n`,
        });
      }
      ctx.status(`Creating ext4 filesystem from the staged layout`);
      await runTool(ctx, [
        'mkfs.ext4',
        '-F',
        '-q',
        '-L',
        FILESYSTEM_LABEL,
        '-U',
        uuid,
        '-E',
        extended,
        '-d',
        staging,
        raw,
        `${(size - offset) / 1024}k`,
      ]);
      await giveToRoot(ctx, staging, filesystemPath(raw, offset), join(work, 'owners.debugfs'));
      await runTool(ctx, ['e2fsck', '-fn', filesystemPath(raw, offset)]);
      if (fatBoot) {
        const config = await readFile(join(staging, 'extlinux.conf'), 'utf8');
        const versionRoot = join(staging, 'systems', INITIAL_LABEL);
        await writeFatBootPartition(
          ctx,
          work,
          versionRoot,
          config,
          raw,
          PARTITION_OFFSET,
          bootSize,
          options.ids?.volumeId,
        );
      }
    });
    ctx.status(`Disk image ${location} is ready (ext4 filesystem UUID ${uuid}, built without root)`);
  } finally {
    removeWork.release();
  }
}
