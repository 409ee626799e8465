/**
 * The btrfs A/B layout of a new rawdisk filesystem (docs/spec/morph.md 7.4 steps 4-7):
 *
 *     systems/factory/orig   subvolume, copy of the tree
 *     systems/factory/run    snapshot of orig (after fstab and state moves)
 *     systems/default        symlink to factory
 *     state/<dir>            one subvolume per state directory
 */

import { chmod, mkdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lstatIfPresent, readdirIfPresent, readFileIfPresent } from '../../../shared/if-present.js';
import { type ExtensionContext, runTool } from '../api.js';
import { installBootFiles, installBootloader, writeBootloaderConfig } from './boot-files.js';
import { completeFstab } from './fstab-layout.js';
import type { RawdiskOptions } from './rawdisk-options.js';

/** The version label of an initial deployment; `VERSION_LABEL` is only for upgrades. */
export const INITIAL_LABEL = 'factory';

/**
 * Completes `<systemRoot>/etc/fstab` for the layout, and creates the mount
 * points of the state directories it added (a system need not have `/srv`,
 * but `mount -a` fails without it).
 * @returns the state directories that got a new entry.
 */
export async function completeSystemFstab(systemRoot: string, rootDevice: string): Promise<string[]> {
  const path = join(systemRoot, 'etc', 'fstab');
  await mkdir(join(systemRoot, 'etc'), { recursive: true });
  const text = (await readFileIfPresent(path)) ?? '';
  const completed = completeFstab(text, rootDevice);
  if (completed.text !== text) await writeFile(path, completed.text, { mode: 0o644 });
  await createMountPoints(systemRoot, completed.stateDirs);
  return completed.stateDirs;
}

/**
 * Creates the missing `dirs` of `systemRoot`, with the root's times, and
 * keeps the root's times as they were: a deployment at another time gives
 * the same tree.
 */
async function createMountPoints(systemRoot: string, dirs: string[]): Promise<void> {
  const root = await stat(systemRoot);
  let created = false;
  for (const dir of dirs) {
    const path = join(systemRoot, dir);
    if (await lstatIfPresent(path)) continue;
    await mkdir(path, { mode: 0o755 });
    await utimes(path, root.atime, root.mtime);
    created = true;
  }
  if (created) await utimes(systemRoot, root.atime, root.mtime);
}

/** Creates the whole layout for `tree` on the filesystem mounted at `mountpoint`. */
export async function createSystemLayout(
  ctx: ExtensionContext,
  tree: string,
  mountpoint: string,
  uuid: string,
  options: RawdiskOptions & { bootDisk: string | undefined },
): Promise<void> {
  await createOrig(ctx, tree, mountpoint);
  await finishSystemLayout(ctx, tree, mountpoint, uuid, options);
}

/** `systems/factory/orig` of the layout. */
export function origPath(mountpoint: string): string {
  return join(mountpoint, 'systems', INITIAL_LABEL, 'orig');
}

/**
 * The part of the layout that depends on the system alone: `systems/factory/`,
 * `state/` and the `orig` subvolume holding a copy of `tree` (what a
 * pristine image holds, see pristine-image.ts).
 */
export async function createOrig(ctx: ExtensionContext, tree: string, mountpoint: string): Promise<void> {
  await mkdir(join(mountpoint, 'systems', INITIAL_LABEL), { recursive: true });
  await mkdir(join(mountpoint, 'state'));
  await runTool(ctx, ['btrfs', 'subvolume', 'create', origPath(mountpoint)]);
  ctx.status('Copying the system into the image');
  await runTool(ctx, ['cp', '-a', `${tree}/.`, `${origPath(mountpoint)}/.`]);
}

/**
 * The part of the layout that depends on the deployment, on a filesystem
 * whose `orig` holds `tree` (createOrig): fstab completed for this
 * filesystem's UUID, the state subvolumes, the `run` snapshot, the
 * `systems/default` link, boot files and bootloader.
 */
export async function finishSystemLayout(
  ctx: ExtensionContext,
  tree: string,
  mountpoint: string,
  uuid: string,
  options: RawdiskOptions & { bootDisk: string | undefined },
): Promise<void> {
  const versionRoot = join(mountpoint, 'systems', INITIAL_LABEL);
  const orig = origPath(mountpoint);
  const stateDirs = await completeSystemFstab(orig, `UUID=${uuid}`);
  for (const dir of stateDirs) {
    const subvolume = join(mountpoint, 'state', dir);
    await runTool(ctx, ['btrfs', 'subvolume', 'create', subvolume]);
    await chmod(subvolume, 0o755);
    const existing = await readdirIfPresent(join(orig, dir));
    if (existing.length > 0) {
      await runTool(ctx, ['mv', '-t', subvolume, '--', ...existing.map((e) => join(orig, dir, e))]);
    }
  }
  await runTool(ctx, ['btrfs', 'subvolume', 'snapshot', orig, join(versionRoot, 'run')]);
  await symlink(INITIAL_LABEL, join(mountpoint, 'systems', 'default'));

  await installBootFiles(ctx, tree, versionRoot, options);
  if (options.bootloaderConfig) {
    await writeBootloaderConfig(ctx, mountpoint, orig, uuid, options);
    if (options.installBootloader) await installBootloader(ctx, mountpoint, options.bootDisk);
  }
}
