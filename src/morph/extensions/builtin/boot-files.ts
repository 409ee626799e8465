/**
 * Boot files of a rawdisk system version (docs/spec/morph.md 7.4 steps 4, 6, 7):
 * kernel, initramfs and device tree copied to `systems/<label>/`, the
 * extlinux.conf, the syslinux menu and the boot sector.
 */

import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lstatIfPresent } from '../../../shared/if-present.js';
import { type ExtensionContext, ExtensionError, runTool } from '../api.js';
import { renderExtlinuxConfig } from './extlinux-config.js';
import type { RawdiskOptions } from './rawdisk-options.js';

const KERNEL_NAMES = ['vmlinuz', 'zImage', 'uImage'];

async function exists(path: string): Promise<boolean> {
  return (await lstatIfPresent(path)) !== undefined;
}

/**
 * Checks that the files named by `INITRAMFS_PATH` and `DTB_PATH` are in the
 * tree, before anything is written.
 * @throws ExtensionError `missing-file`.
 */
export async function checkBootFiles(tree: string, options: RawdiskOptions): Promise<void> {
  for (const [name, path] of [
    ['INITRAMFS_PATH', options.initramfsPath],
    ['DTB_PATH', options.dtbPath],
  ] as const) {
    if (path !== undefined && !(await exists(join(tree, path)))) {
      throw new ExtensionError('missing-file', `${name} ${path} does not exist in the system`);
    }
  }
}

/** True when the system tree has a kernel the boot loader can start (boot/vmlinuz, zImage or uImage). */
export async function hasKernel(tree: string): Promise<boolean> {
  for (const name of KERNEL_NAMES) if (await exists(join(tree, 'boot', name))) return true;
  return false;
}

/** Copies the kernel (first of boot/vmlinuz, zImage, uImage; none is fine) and the optional initramfs and dtb. */
export async function installBootFiles(
  ctx: ExtensionContext,
  tree: string,
  versionRoot: string,
  options: RawdiskOptions,
): Promise<void> {
  for (const name of KERNEL_NAMES) {
    const kernel = join(tree, 'boot', name);
    if (await exists(kernel)) {
      ctx.status(`Installing kernel boot/${name}`);
      await runTool(ctx, ['cp', '-a', kernel, join(versionRoot, 'kernel')]);
      break;
    }
  }
  if (options.initramfsPath !== undefined) {
    ctx.status(`Installing initramfs ${options.initramfsPath}`);
    await copyFile(join(tree, options.initramfsPath), join(versionRoot, 'initramfs'));
  }
  if (options.dtbPath !== undefined) {
    ctx.status(`Installing device tree ${options.dtbPath}`);
    await copyFile(join(tree, options.dtbPath), join(versionRoot, 'dtb'));
  }
}

/** Writes extlinux.conf (and menu.c32 when the system has one) at the top of the filesystem. */
export async function writeBootloaderConfig(
  ctx: ExtensionContext,
  mountpoint: string,
  systemRoot: string,
  uuid: string | undefined,
  options: RawdiskOptions,
): Promise<void> {
  const menu = join(systemRoot, 'usr', 'share', 'syslinux', 'menu.c32');
  if (await exists(menu)) await copyFile(menu, join(mountpoint, 'menu.c32'));
  const useUuid = options.initramfsPath !== undefined && uuid !== undefined;
  ctx.status('Writing extlinux.conf');
  await writeFile(
    join(mountpoint, 'extlinux.conf'),
    renderExtlinuxConfig({
      root: useUuid ? `UUID=${uuid}` : options.rootDevice,
      initramfs: options.initramfsPath !== undefined,
      dtb: options.dtbPath !== undefined,
      kernelArgs: options.kernelArgs,
      filesystem: options.rootless ? 'ext4' : 'btrfs',
    }),
  );
}

/** `extlinux --install` on the mounted filesystem, plus the MBR boot code on a partitioned disk. */
export async function installBootloader(
  ctx: ExtensionContext,
  mountpoint: string,
  disk: string | undefined,
): Promise<void> {
  ctx.status('Installing extlinux');
  await runTool(ctx, ['extlinux', '--install', mountpoint]);
  if (disk !== undefined) {
    const mbr = ['/usr/lib/syslinux/mbr/mbr.bin', '/usr/share/syslinux/mbr.bin', '/usr/lib/syslinux/mbr.bin'];
    const found = (await Promise.all(mbr.map(async (p) => ((await exists(p)) ? p : undefined)))).find(
      Boolean,
    );
    if (found === undefined) throw new ExtensionError('missing-file', 'syslinux mbr.bin not found');
    await runTool(ctx, ['dd', `if=${found}`, `of=${disk}`, 'bs=440', 'count=1', 'conv=notrunc']);
  }
  await runTool(ctx, ['sync']);
}
