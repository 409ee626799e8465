import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invariant } from '../../../shared/invariant.js';
import type { ArtifactCache } from '../../cache/artifact-cache.js';
import { clampMtimes, writeOwnFile } from '../graph/hermetic.js';
import type { DeviceNode } from './device-nodes.js';

/**
 * The ref holding an artifact's special files (device nodes, FIFOs), which
 * OSTree cannot store: `artifacts/<key>/<kind>-devices/<name>`, a commit of
 * one `devices.json`. Most artifacts have none, and then the ref does not
 * exist: finding that out is a `stat`, not an `ostree` process per artifact.
 */
export function devicesRef(artifactRef: string): string {
  const parts = artifactRef.split('/');
  invariant(parts.length === 4 && parts[0] === 'artifacts', `${artifactRef} is an artifact ref`);
  return [parts[0], parts[1], `${parts[2]}-devices`, parts[3]].join('/');
}

/** Records the special files of the artifact `ref` (nothing when there are none). */
export async function storeArtifactDevices(
  cache: ArtifactCache,
  ref: string,
  devices: readonly DeviceNode[],
  workDir: string,
): Promise<void> {
  if (devices.length === 0) return;
  const dir = await mkdtemp(join(workDir, 'devices-'));
  try {
    await chmod(dir, 0o755);
    await writeOwnFile(join(dir, 'devices.json'), `${JSON.stringify(devices, null, 2)}\n`);
    clampMtimes(dir);
    await cache.commitTree(dir, devicesRef(ref), { subject: `devices of ${ref}`, consume: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Commit metadata key repeating an artifact's special files (base64 JSON), for artifacts pulled from a remote cache. */
export const DEVICES_METADATA_KEY = 'morph.devices';

/** The commit metadata to store with an artifact that has special files. */
export function devicesMetadata(devices: readonly DeviceNode[]): Record<string, string> {
  if (devices.length === 0) return {};
  return { [DEVICES_METADATA_KEY]: Buffer.from(JSON.stringify(devices)).toString('base64') };
}

/**
 * Re-creates the local device record of an artifact pulled from a remote
 * cache from its commit metadata (a local `ostree show`, no network request
 * for records that mostly do not exist).
 */
export async function restoreArtifactDevices(
  cache: ArtifactCache,
  ref: string,
  workDir: string,
): Promise<void> {
  if (await cache.hasRef(devicesRef(ref))) return;
  const encoded = await cache.readMetadata(ref, DEVICES_METADATA_KEY);
  if (!encoded) return;
  const devices = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as DeviceNode[];
  await storeArtifactDevices(cache, ref, devices, workDir);
}

/** The special files recorded for the artifact `ref` (touching the record, for `gc`). */
export async function artifactDevices(cache: ArtifactCache, ref: string): Promise<DeviceNode[]> {
  const record = devicesRef(ref);
  if (!(await cache.hasRef(record))) return [];
  await cache.touch(record);
  return JSON.parse(await cache.readFile(record, '/devices.json')) as DeviceNode[];
}
