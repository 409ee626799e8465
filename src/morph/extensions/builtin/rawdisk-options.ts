/** The deployment parameters of the rawdisk extension (docs/spec/morph.md 7.4, docs/spec/design.md 3.3), read once. */
import { arch } from 'node:os';
import { type ExtensionContext, ExtensionError, parseSize, readBoolean } from '../api.js';
import { type DerivedIds, readDerivedIds } from './derived-ids.js';

/** Output formats: raw images can be loop-mounted; qcow2 is converted from raw at the end. */
export type DiskFormat = 'raw' | 'qcow2';

export interface RawdiskOptions {
  upgrade: boolean;
  /** `DISK_SIZE` in bytes; undefined = computed from the tree. */
  diskSize: number | undefined;
  versionLabel: string | undefined;
  /** Tree-relative paths. */
  initramfsPath: string | undefined;
  dtbPath: string | undefined;
  kernelArgs: string;
  /** `ROOT_DEVICE`, the root without an initramfs (default `/dev/sda`). */
  rootDevice: string;
  /** Write extlinux.conf: `BOOTLOADER_CONFIG_FORMAT=extlinux` or an x86 host. */
  bootloaderConfig: boolean;
  /** `BOOTLOADER_INSTALL`: `extlinux` (default) or `none`. */
  installBootloader: boolean;
  /** `DISK_FORMAT`: raw (default) or qcow2; `DISK_COMPRESS=yes` compresses qcow2. */
  format: DiskFormat;
  compress: boolean;
  /** `PARTITION_TABLE=mbr`: one bootable partition instead of a bare filesystem. */
  partitionTable: boolean;
  /**
   * Build without loop devices or mounts (an ext4 filesystem made with
   * `mkfs.ext4 -d`, see rawdisk-rootless.ts): `ROOTLESS=yes`, or by default
   * whenever the extension does not run as root.
   */
  rootless: boolean;
  /** `UUID_FROM=artifact`: every identifier derived from `MORPH_UUID_SEED` (else random). */
  ids: DerivedIds | undefined;
}

function optional(env: ExtensionContext['env'], name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads and validates every rawdisk parameter.
 * @throws ExtensionError `bad-parameter` (or `bad-size` / `bad-boolean`) naming the variable.
 */
export function readRawdiskOptions(
  env: ExtensionContext['env'],
  hostArch: string = arch(),
  euid: number = process.geteuid?.() ?? 0,
): RawdiskOptions {
  const configFormat = optional(env, 'BOOTLOADER_CONFIG_FORMAT');
  if (configFormat !== undefined && configFormat !== 'extlinux') {
    throw new ExtensionError('bad-parameter', `Invalid BOOTLOADER_CONFIG_FORMAT ${configFormat}`, {
      hint: 'the only supported format is extlinux',
    });
  }
  const install = optional(env, 'BOOTLOADER_INSTALL') ?? 'extlinux';
  if (install !== 'extlinux' && install !== 'none') {
    throw new ExtensionError('bad-parameter', `Invalid BOOTLOADER_INSTALL ${install}`, {
      hint: 'use extlinux or none',
    });
  }
  const format = optional(env, 'DISK_FORMAT') ?? 'raw';
  if (format !== 'raw' && format !== 'qcow2') {
    throw new ExtensionError('bad-parameter', `Invalid DISK_FORMAT ${format}`, { hint: 'use raw or qcow2' });
  }
  const table = optional(env, 'PARTITION_TABLE') ?? 'none';
  if (table !== 'none' && table !== 'mbr') {
    throw new ExtensionError('bad-parameter', `Invalid PARTITION_TABLE ${table}`, {
      hint: 'use none or mbr',
    });
  }
  const diskSize = optional(env, 'DISK_SIZE');
  return {
    upgrade: readBoolean(env, 'UPGRADE'),
    diskSize: diskSize === undefined ? undefined : parseSize(diskSize, 'DISK_SIZE'),
    versionLabel: optional(env, 'VERSION_LABEL'),
    initramfsPath: optional(env, 'INITRAMFS_PATH'),
    dtbPath: optional(env, 'DTB_PATH'),
    kernelArgs: env.KERNEL_ARGS ?? '',
    rootDevice: optional(env, 'ROOT_DEVICE') ?? '/dev/sda',
    bootloaderConfig: configFormat !== undefined || hostArch === 'x64' || hostArch === 'ia32',
    installBootloader: install === 'extlinux',
    format,
    compress: readBoolean(env, 'DISK_COMPRESS'),
    partitionTable: table === 'mbr',
    rootless: optional(env, 'ROOTLESS') === undefined ? euid !== 0 : readBoolean(env, 'ROOTLESS'),
    ids: readDerivedIds(env),
  };
}
