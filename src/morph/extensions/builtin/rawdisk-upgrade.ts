/**
 * rawdisk upgrade (docs/spec/morph.md 7.4, `UPGRADE=yes`): a new system version next
 * to the old ones in an existing image. The new `orig` starts as a snapshot
 * of the default version's, is rsync'ed to the tree (so unchanged files
 * share blocks), snapshotted as `run`, and becomes the default by an atomic
 * symlink swap. A failure before the swap removes the half-made version, so
 * the image is left as it was.
 */

import { spawnSync } from 'node:child_process';
import { mkdir, open, rename, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ifPresent, lstatIfPresent, statIfPresent } from '../../../shared/if-present.js';
import { type ExtensionContext, ExtensionError, removeSync, runTool } from '../api.js';
import { checkBootFiles, installBootFiles, installBootloader, writeBootloaderConfig } from './boot-files.js';
import { filesystemUuid, mountFilesystem } from './btrfs-image.js';
import { attachLoopDevice, hasPartitionTable } from './loop-device.js';
import { completeSystemFstab } from './rawdisk-layout.js';
import type { RawdiskOptions } from './rawdisk-options.js';

/** Version labels become directory names: no slashes, no dot-names. */
export function isValidVersionLabel(label: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/.test(label) && label !== 'default';
}

/** Upgrades the image or device at `location` to `tree`. */
export async function upgradeRawdisk(
  ctx: ExtensionContext,
  tree: string,
  location: string,
  options: RawdiskOptions,
): Promise<void> {
  const label = options.versionLabel;
  if (label === undefined) {
    throw new ExtensionError('missing-parameter', 'VERSION_LABEL is required for an upgrade');
  }
  if (!isValidVersionLabel(label)) {
    throw new ExtensionError('bad-parameter', `VERSION_LABEL ${label} is not a valid version label`);
  }
  await checkBootFiles(tree, options);
  const target = resolve(location);
  const info = await statIfPresent(target);
  if (!info?.isFile() && !info?.isBlockDevice()) {
    throw new ExtensionError('missing-location', `${location} is not an existing disk image or block device`);
  }
  await refuseQcow2(target, location);

  const partitioned = await hasPartitionTable(ctx, target);
  const loop = info.isFile() ? await attachLoopDevice(ctx, target) : undefined;
  let filesystem = loop?.device ?? target;
  if (partitioned) filesystem = loop ? await loop.partition() : `${target}${/\d$/.test(target) ? 'p' : ''}1`;
  await requireBtrfs(ctx, filesystem, location, partitioned);
  const uuid = await filesystemUuid(ctx, filesystem);
  // Like the first deployment's: by UUID, which any disk name the machine gives it keeps.
  await completeSystemFstab(tree, `UUID=${uuid}`);
  const mount = await mountFilesystem(ctx, filesystem);
  loop?.detach();
  try {
    await addVersion(ctx, tree, mount.path, label, uuid, options);
  } finally {
    await mount.unmount();
  }
  ctx.status(`Upgraded ${location} to version ${label}`);
}

async function addVersion(
  ctx: ExtensionContext,
  tree: string,
  mountpoint: string,
  label: string,
  uuid: string,
  options: RawdiskOptions,
): Promise<void> {
  const systems = join(mountpoint, 'systems');
  const versionRoot = join(systems, label);
  if (await lstatIfPresent(versionRoot)) {
    throw new ExtensionError('version-exists', `VERSION_LABEL ${label} already exists in ${systems}`, {
      hint: 'choose a new VERSION_LABEL',
    });
  }
  const defaultLink = join(systems, 'default');
  const hadDefault = (await lstatIfPresent(defaultLink)) !== undefined;
  const oldOrig = join(defaultLink, 'orig');
  if (!(await statIfPresent(oldOrig))) {
    throw new ExtensionError('bad-image', `${oldOrig} is missing: not a rawdisk image made by morph`);
  }
  ctx.status(`Updating the image to a new version with label ${label}`);
  await mkdir(versionRoot);
  const rollback = ctx.cleanup.push(`remove half-made version ${versionRoot}`, () => {
    for (const sub of ['run', 'orig']) {
      spawnSync('btrfs', ['subvolume', 'delete', join(versionRoot, sub)], { stdio: 'ignore' });
    }
    removeSync(versionRoot);
  });
  try {
    const orig = join(versionRoot, 'orig');
    await runTool(ctx, ['btrfs', 'subvolume', 'snapshot', oldOrig, orig]);
    await runTool(ctx, ['rsync', '-a', '--checksum', '--numeric-ids', '--delete', `${tree}/`, orig]);
    await runTool(ctx, ['btrfs', 'subvolume', 'snapshot', orig, join(versionRoot, 'run')]);
    if (options.bootloaderConfig) await installBootFiles(ctx, tree, versionRoot, options);
    if (!hadDefault && options.bootloaderConfig) {
      // An image from before the default symlink: give it a bootloader config first.
      await writeBootloaderConfig(ctx, mountpoint, orig, uuid, options);
      if (options.installBootloader) await installBootloader(ctx, mountpoint, undefined);
    }
    // Atomic switch: a new symlink renamed over the old one.
    const next = join(systems, `.default-${label}`);
    removeSync(next);
    await symlink(label, next);
    await rename(next, defaultLink);
  } catch (err) {
    rollback.release();
    throw err;
  }
  rollback.forget();
}

/** The first bytes of a qcow2 image ("QFI\xfb"). */
const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

/** True when the file or device at `path` starts like a qcow2 image. */
export async function isQcow2(path: string): Promise<boolean> {
  const file = await ifPresent(() => open(path, 'r'));
  if (!file) return false;
  try {
    const head = Buffer.alloc(QCOW2_MAGIC.length);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(QCOW2_MAGIC);
  } finally {
    await file.close();
  }
}

/**
 * Refuses a qcow2 image: it cannot be loop-mounted to add a version.
 * @throws ExtensionError `upgrade-unsupported`.
 */
export async function refuseQcow2(target: string, location: string): Promise<void> {
  if (await isQcow2(target)) {
    throw new ExtensionError(
      'upgrade-unsupported',
      `Cannot upgrade ${location}: it is a qcow2 image, not a raw one`,
      {
        hint: `only raw images can be upgraded: convert it (qemu-img convert -f qcow2 -O raw ${location} IMAGE.raw), upgrade that and convert it back`,
      },
    );
  }
}

/**
 * Refuses an image whose filesystem is not btrfs, such as the ext4 images
 * built without root (rawdisk-rootless.ts), or on which blkid finds no
 * filesystem at all, before mounting it.
 * @throws ExtensionError `not-btrfs` or `unknown-filesystem`.
 */
async function requireBtrfs(
  ctx: ExtensionContext,
  filesystem: string,
  location: string,
  partitioned: boolean,
): Promise<void> {
  const probe = await runTool(ctx, ['blkid', '-p', '-s', 'TYPE', '-o', 'value', filesystem], {
    allowFailure: true,
  });
  const type = probe.stdout.trim();
  if (type === '') {
    const where = partitioned ? 'in the first partition of' : 'on';
    throw new ExtensionError(
      'unknown-filesystem',
      `Cannot upgrade ${location}: blkid finds no filesystem ${where} it`,
      {
        hint: 'pass a raw disk image (or device) that morph deploy wrote with the rawdisk extension',
      },
    );
  }
  if (type !== 'btrfs') {
    throw new ExtensionError('not-btrfs', `Cannot upgrade ${location}: it holds ${type}, not btrfs`, {
      hint: 'images built without root (ext4) cannot be upgraded; deploy a new image instead',
    });
  }
}
