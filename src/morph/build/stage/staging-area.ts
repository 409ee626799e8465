import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { ownedPrefix } from '../../../shared/owned-name.js';
import type { ArtifactCache } from '../../cache/artifact-cache.js';
import { MorphError } from '../../errors.js';
import { artifactDevices } from './artifact-devices.js';
import { createDeviceNodes, type DeviceNode } from './device-nodes.js';

/**
 * A fresh staging area `<tempdir>/staging/<random>` (docs/spec/morph.md 5.9).
 * @throws MorphError build/staging-failed.
 */
export async function createStagingArea(tempdir: string): Promise<string> {
  const parent = join(tempdir, 'staging');
  try {
    await mkdir(parent, { recursive: true });
    return await mkdtemp(join(parent, ownedPrefix('staging-')));
  } catch (err) {
    throw new MorphError('build', 'staging-failed', `cannot create a staging area in ${parent}`, {
      cause: err,
    });
  }
}

/**
 * Checks artifacts out into `root` with hard links, in order (later files
 * replace earlier ones, directories merge), then re-creates their device
 * nodes. The linked files are shared with the cache: sandboxes mount them
 * read-only and nothing may write through them.
 */
export async function installArtifacts(
  cache: ArtifactCache,
  refs: readonly string[],
  root: string,
): Promise<void> {
  await mkdir(root, { recursive: true });
  await cache.checkoutMany(refs, root, { union: true, hardlink: true });
  const devices: DeviceNode[] = [];
  for (const ref of refs) devices.push(...(await artifactDevices(cache, ref)));
  await createDeviceNodes(root, devices);
}

/** Re-exported for callers that knew it here (deploy). */
export { artifactDevices } from './artifact-devices.js';

/** True when `ldconfig -r ROOT` should run (the root has `etc/ld.so.conf`). */
export function needsLdconfig(root: string): boolean {
  return existsSync(join(root, 'etc', 'ld.so.conf'));
}
