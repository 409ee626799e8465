import { ArtifactCache } from '../../cache/artifact-cache.js';
import { artifactRef } from '../../cache/artifact-ref.js';
import { RemoteArtifactCache } from '../../cache/remote-artifact-cache.js';
import { MorphError } from '../../errors.js';
import type { SystemMorphology } from '../../model.js';
import type { BuildApp } from '../graph/build-app.js';
import { resolveBuildGraph } from '../graph/resolve-build-graph.js';
import type { BuildRequest } from '../graph/resolve-definitions.js';
import { restoreArtifactDevices } from './artifact-devices.js';
import { createDeviceNodes } from './device-nodes.js';
import { artifactDevices } from './staging-area.js';

/** A system artifact as deploy needs it. */
export interface SystemArtifact {
  cacheKey: string;
  /** `<system>-rootfs`. */
  artifactName: string;
  system: SystemMorphology;
  /** Its OSTree ref. */
  ref: string;
}

/**
 * Resolves the system artifact of `file` at `commit` of `repo` without the
 * architecture check (deploy), and makes sure it is in the local cache
 * (pulling it from the remote artifact cache if possible).
 * @throws MorphError build/not-built: `Deployment failed as <system> is not yet built.` and a
 *   second line `Please ensure the system is built before deployment.`, and the errors of resolveBuildGraph.
 */
export async function resolveSystemArtifact(
  app: BuildApp,
  request: { repo: string; commit: string; file: string; originalRef?: string },
): Promise<SystemArtifact> {
  const buildRequest: BuildRequest = {
    repo: request.repo,
    ref: request.commit,
    file: request.file,
    originalRef: request.originalRef,
  };
  const build = await resolveBuildGraph(app, buildRequest, { checkArchitecture: false });
  const ref = artifactRef(build.cacheKey, 'system', build.artifactName);
  const cache = await ArtifactCache.open(app.settings.cachedir);
  if (!(await cache.has(build.cacheKey, 'system', build.artifactName))) {
    const remoteUrl = app.settings['artifact-cache-server'];
    if (RemoteArtifactCache.isUsable(remoteUrl)) {
      const pulled = await new RemoteArtifactCache(cache, remoteUrl).pull([ref]);
      for (const got of pulled) await restoreArtifactDevices(cache, got, app.settings.tempdir);
    }
  }
  if (!(await cache.hasRef(ref))) {
    // The second line is part of the message: callers check both lines verbatim (docs/spec/design.md 3.1).
    throw new MorphError(
      'build',
      'not-built',
      `Deployment failed as ${build.system.name} is not yet built.\nPlease ensure the system is built before deployment.`,
    );
  }
  return { cacheKey: build.cacheKey, artifactName: build.artifactName, system: build.system, ref };
}

/**
 * Checks a system artifact out into `dest` (which must not exist) with hard
 * links to the cache, then re-creates its device nodes. Never write through
 * the result: mount an overlay on it, or copy it.
 * @throws MorphError cache/checkout-failed, build/mknod-failed.
 */
export async function checkoutSystemArtifact(
  app: Pick<BuildApp, 'settings'>,
  cacheKey: string,
  artifactName: string,
  dest: string,
): Promise<void> {
  const cache = await ArtifactCache.open(app.settings.cachedir);
  const ref = artifactRef(cacheKey, 'system', artifactName);
  await cache.checkout(ref, dest, { hardlink: true });
  await createDeviceNodes(dest, await artifactDevices(cache, ref));
}
