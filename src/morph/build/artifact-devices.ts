import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactCache } from '../cache/artifact-cache.js';
import type { DeviceNode } from './device-nodes.js';

/**
 * The ref holding an artifact's special files (device nodes, FIFOs), which
 * OSTree cannot store: `artifacts/<key>/<kind>-devices/<name>`, a commit of
 * one `devices.json`. Most artifacts have none, and then the ref does not
 * exist: finding that out is a `stat`, not an `ostree` process per artifact.
 */
export function devicesRef(artifactRef: string): string {
  const parts = artifactRef.split('/');
  if (parts.length !== 4 || parts[0] !== 'artifacts')
    throw new Error(`BUG: not an artifact ref: ${artifactRef}`);
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
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'devices.json'), `${JSON.stringify(devices, null, 2)}\n`);
    await cache.commitTree(dir, devicesRef(ref), { subject: `devices of ${ref}`, consume: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The special files recorded for the artifact `ref` (touching the record, for `gc`). */
export async function artifactDevices(cache: ArtifactCache, ref: string): Promise<DeviceNode[]> {
  const record = devicesRef(ref);
  if (!(await cache.hasRef(record))) return [];
  await cache.touch(record);
  return JSON.parse(await cache.readFile(record, '/devices.json')) as DeviceNode[];
}
