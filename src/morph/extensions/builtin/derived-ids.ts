/**
 * Identifiers of a disk image derived from a seed instead of drawn at
 * random (`UUID_FROM=artifact`, docs/deploy.md "Reproducible disk
 * images"): `morph deploy` passes `MORPH_UUID_SEED`, the SHA-256 of the
 * system artifact's checksum and the deployment's name, so two deployments
 * of one artifact under one name get the same UUIDs, and two names get
 * different ones.
 */
import { createHash } from 'node:crypto';
import { type ExtensionContext, ExtensionError, runTool } from '../api.js';

/** The identifiers of one image: filesystem UUID, ext4 hash seed, MBR disk id, FAT volume id. */
export interface DerivedIds {
  filesystemUuid: string;
  hashSeed: string;
  /** `0x` and 8 hex digits (sfdisk `label-id`). */
  diskId: string;
  /** 8 hex digits (`mkfs.vfat -i`). */
  volumeId: string;
}

/** The bytes of `seed` and `purpose`, hashed. */
function digest(seed: string, purpose: string): Buffer {
  return createHash('sha256').update(`${seed}\n${purpose}`).digest();
}

/** An RFC 4122 version 4 style UUID made of the hash of `seed` and `purpose`. */
export function derivedUuid(seed: string, purpose: string): string {
  const bytes = digest(seed, purpose).subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Every identifier of an image, from `seed`. */
export function derivedIds(seed: string): DerivedIds {
  const short = (purpose: string): string => digest(seed, purpose).subarray(0, 4).toString('hex');
  return {
    filesystemUuid: derivedUuid(seed, 'filesystem'),
    hashSeed: derivedUuid(seed, 'hash-seed'),
    diskId: `0x${short('disk')}`,
    volumeId: short('boot-volume'),
  };
}

/**
 * Reads `UUID_FROM`: `random` (the default) gives undefined, `artifact`
 * the identifiers derived from `MORPH_UUID_SEED`.
 * @throws ExtensionError bad-parameter for another value or a missing seed.
 */
export function readDerivedIds(env: ExtensionContext['env']): DerivedIds | undefined {
  const from = env.UUID_FROM ?? '';
  if (from === '' || from === 'random') return undefined;
  if (from !== 'artifact') {
    throw new ExtensionError('bad-parameter', `Invalid UUID_FROM ${from}`, {
      hint: 'use artifact or random',
    });
  }
  const seed = env.MORPH_UUID_SEED ?? '';
  if (!/^[0-9a-f]{64}$/.test(seed)) {
    throw new ExtensionError('bad-parameter', 'UUID_FROM=artifact needs MORPH_UUID_SEED', {
      hint: 'morph deploy sets it; by hand, set MORPH_UUID_SEED to 64 hex digits',
    });
  }
  return derivedIds(seed);
}

/**
 * Dates every file, directory and symlink under `dir` that is newer than
 * `SOURCE_DATE_EPOCH` at it (nothing when it is not set): what the
 * extension made itself (layout directories, fstab, bootloader files).
 */
export async function clampImageTimes(ctx: ExtensionContext, dir: string): Promise<void> {
  const epoch = ctx.env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || !/^\d+$/.test(epoch)) return;
  await runTool(ctx, [
    'find',
    dir,
    '-newermt',
    `@${epoch}`,
    '-exec',
    'touch',
    '-h',
    '-d',
    `@${epoch}`,
    '{}',
    '+',
  ]);
}
