/**
 * The FAT boot partition of a partitioned rootless image (docs/spec/design.md 3.3):
 * kernel, initramfs, device tree and `syslinux.cfg` copied in with mtools
 * and the boot sector written by `syslinux --install`, which works on a
 * FAT image file through mtools, so nothing is mounted. It is built as a
 * separate file and copied into the image at the first partition's offset;
 * the syslinux MBR boot code goes into the image's first 440 bytes.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lstatIfPresent } from '../../../shared/if-present.js';
import { type ExtensionContext, ExtensionError, runTool } from '../api.js';

const MiB = 1024 * 1024;

/** The smallest boot partition: mkfs.fat makes FAT12 below it, which syslinux 6.04 rejects. */
export const MIN_BOOT_PARTITION = 16 * MiB;

const BOOT_FILES = ['kernel', 'initramfs', 'dtb'];
const MBR_PATHS = [
  '/usr/lib/syslinux/mbr/mbr.bin',
  '/usr/share/syslinux/mbr.bin',
  '/usr/lib/syslinux/mbr.bin',
];

/** Size of a boot partition holding files of `bytes` in total: 4 MiB spare, whole MiB, at least 16 MiB. */
export function bootPartitionSize(bytes: number): number {
  return Math.max(MIN_BOOT_PARTITION, Math.ceil((bytes + 4 * MiB) / MiB) * MiB);
}

/** The extlinux.conf of the ext4 filesystem, pointing at the boot partition's top instead of systems/default. */
export function syslinuxConfig(extlinuxConf: string): string {
  return extlinuxConf.replaceAll('/systems/default/', '/');
}

async function size(path: string): Promise<number | undefined> {
  return (await lstatIfPresent(path))?.size;
}

/** Bytes of the boot files staged in `versionRoot` (kernel, initramfs, dtb). */
export async function bootFilesSize(versionRoot: string): Promise<number> {
  let total = 0;
  for (const name of BOOT_FILES) total += (await size(join(versionRoot, name))) ?? 0;
  return total;
}

/**
 * Builds the FAT boot partition in `work`/boot.fat and writes it into
 * `image` at `offset`, plus the MBR boot code; `volumeId` (8 hex digits)
 * when given, else a random one.
 * @throws ExtensionError `missing-file` without syslinux's mbr.bin.
 */
export async function writeFatBootPartition(
  ctx: ExtensionContext,
  work: string,
  versionRoot: string,
  config: string,
  image: string,
  offset: number,
  bytes: number,
  volumeId?: string,
): Promise<void> {
  const fat = join(work, 'boot.fat');
  const id = volumeId === undefined ? [] : ['-i', volumeId];
  ctx.status('Creating the FAT boot partition and installing syslinux (without root)');
  await runTool(ctx, [
    'mkfs.vfat',
    ...id,
    '-n',
    'BOOT',
    '-h',
    `${offset / 512}`,
    '-C',
    fat,
    `${bytes / 1024}`,
  ]);
  for (const name of BOOT_FILES) {
    const path = join(versionRoot, name);
    if ((await size(path)) !== undefined) await runTool(ctx, ['mcopy', '-i', fat, path, `::/${name}`]);
  }
  const cfg = join(work, 'syslinux.cfg');
  await writeFile(cfg, syslinuxConfig(config));
  await runTool(ctx, ['mcopy', '-i', fat, cfg, '::/syslinux.cfg']);
  await runTool(ctx, ['syslinux', '--install', fat]);
  await runTool(ctx, ['dd', `if=${fat}`, `of=${image}`, 'bs=1M', `seek=${offset / MiB}`, 'conv=notrunc']);
  const mbr = (await Promise.all(MBR_PATHS.map(async (p) => ((await size(p)) ? p : undefined)))).find(
    Boolean,
  );
  if (mbr === undefined) throw new ExtensionError('missing-file', 'syslinux mbr.bin not found');
  await runTool(ctx, ['dd', `if=${mbr}`, `of=${image}`, 'bs=440', 'count=1', 'conv=notrunc']);
}
