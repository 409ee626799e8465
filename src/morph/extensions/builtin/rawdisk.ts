/**
 * `rawdisk` extension (docs/spec/morph.md 7.4): a btrfs disk image (or device) with
 * the A/B system layout; `UPGRADE=yes` adds a version to an existing one.
 * Extras (docs/spec/design.md 3.3): `DISK_SIZE` may be left out (computed),
 * `DISK_FORMAT=qcow2` (+ `DISK_COMPRESS=yes`), `PARTITION_TABLE=mbr`.
 */

import { readFileIfPresent, statIfPresent } from '../../../shared/if-present.js';
import {
  type BuiltinExtension,
  type ExtensionContext,
  ExtensionError,
  runExtensionMain,
  runTool,
} from '../api.js';
import { hasKernel } from './boot-files.js';
import { writeInitialRawdisk } from './rawdisk-initial.js';
import { readRawdiskOptions } from './rawdisk-options.js';
import { writeRootlessRawdisk } from './rawdisk-rootless.js';
import { refuseQcow2, upgradeRawdisk } from './rawdisk-upgrade.js';

/** True when the running kernel can mount btrfs (loading the module if it is not yet loaded). */
export async function hostHasBtrfs(ctx: ExtensionContext): Promise<boolean> {
  const listed = async () => ((await readFileIfPresent('/proc/filesystems')) ?? '').includes('\tbtrfs\n');
  if (await listed()) return true;
  // Best effort, and checked: without modprobe (or the right to load modules) the listing still says no.
  await runTool(ctx, ['modprobe', '-q', 'btrfs'], { allowFailure: true }).catch(() => undefined);
  return listed();
}

/** Upgrades mount the image to snapshot the new version: there is no rootless way. */
function needsRoot(): ExtensionError {
  return new ExtensionError(
    'needs-root',
    'Upgrading a disk image needs root: it mounts the btrfs image to add a version as a snapshot',
    { hint: 'run the upgrade as root (and without ROOTLESS=yes)' },
  );
}

export const rawdiskExtension: BuiltinExtension = {
  name: 'rawdisk',
  async check(ctx, location) {
    const options = readRawdiskOptions(ctx.env);
    if (options.upgrade && options.rootless) throw needsRoot();
    if (!options.rootless && !(await hostHasBtrfs(ctx))) {
      throw new ExtensionError(
        'no-btrfs',
        'Error: btrfs is required for this deployment, but was not ' +
          'detected in the kernel of the machine that is running Morph.',
      );
    }
    const info = await statIfPresent(location);
    if (options.upgrade) {
      if (!info?.isBlockDevice() && !info?.isFile()) {
        throw new ExtensionError(
          'missing-location',
          `Cannot upgrade ${location}: it is not an existing disk image`,
        );
      }
      if (options.versionLabel === undefined) {
        throw new ExtensionError('missing-parameter', 'VERSION_LABEL is required for an upgrade');
      }
      if (options.format === 'qcow2') {
        throw new ExtensionError(
          'upgrade-unsupported',
          'Only raw images can be upgraded (DISK_FORMAT=qcow2)',
        );
      }
      await refuseQcow2(location, location);
    } else if (info !== undefined && !info.isBlockDevice()) {
      throw new ExtensionError('location-exists', `There is already a file at ${location}`, {
        hint: 'use `morph upgrade` to upgrade an existing image',
      });
    }
  },
  async write(ctx, tree, location) {
    const options = readRawdiskOptions(ctx.env);
    if (options.upgrade && options.rootless) throw needsRoot();
    if (!(await hasKernel(tree))) {
      ctx.warn(`${location} will not boot: the system has no boot/vmlinuz (nor boot/zImage, boot/uImage)`);
    }
    if (options.rootless) await writeRootlessRawdisk(ctx, tree, location, options);
    else if (options.upgrade) await upgradeRawdisk(ctx, tree, location, options);
    else await writeInitialRawdisk(ctx, tree, location, options);
  },
};

runExtensionMain(rawdiskExtension, import.meta.url);
