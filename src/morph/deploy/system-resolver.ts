import type { App } from '../app.js';
import { devicesRef } from '../build/stage/artifact-devices.js';
import { createDeviceNodes } from '../build/stage/device-nodes.js';
import { artifactDevices } from '../build/stage/staging-area.js';
import { checkoutSystemArtifact, resolveSystemArtifact } from '../build/stage/system-artifact.js';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { prepareBuildBranch } from '../workspace/build-branch.js';
import { findSystemBranch } from '../workspace/index.js';
import type { ResolvedSystem, SystemResolver } from './deploy-session.js';

/**
 * The definitions commit to deploy from and a resolver of its systems
 * (docs/spec/morph.md 6.1 step 5, 6.2 step 2): the temporary build branch procedure
 * without pushing (or, with `local-changes=ignore`, the root checkout's
 * branch as committed), then each system resolved and keyed exactly as a
 * build would, without the architecture check. Nothing is built: a system
 * that no cache has fails with `build/not-built` before any extension runs.
 */
export async function createSystemResolver(app: App): Promise<SystemResolver> {
  const branch = await findSystemBranch(app.cwd);
  let repo: string;
  let commit: string;
  let originalRef: string;
  if (app.settings['local-changes'] === 'ignore') {
    const rootDir = await branch.rootCheckoutDir();
    const head = await app.runApp(['git', 'rev-parse', '--verify', `${branch.name}^{commit}`], {
      cwd: rootDir,
    });
    repo = branch.rootRepo;
    commit = head.stdout.trim();
    originalRef = commit;
  } else {
    ({ repo, commit, ref: originalRef } = await prepareBuildBranch(app, branch, { push: false }));
  }
  const resolved = new Map<string, Promise<ResolvedSystem>>();
  return (file) => {
    let found = resolved.get(file);
    if (!found) {
      found = resolveSystem(app, { repo, commit, originalRef, file });
      resolved.set(file, found);
    }
    return found;
  };
}

async function resolveSystem(
  app: App,
  request: { repo: string; commit: string; originalRef: string; file: string },
): Promise<ResolvedSystem> {
  const artifact = await resolveSystemArtifact(app, request);
  return {
    artifactName: artifact.artifactName,
    cacheKey: artifact.cacheKey,
    morphology: artifact.system,
    async checkout(dir, { hardlink }) {
      if (hardlink) return checkoutSystemArtifact(app, artifact.cacheKey, artifact.artifactName, dir);
      const cache = await ArtifactCache.open(app.settings.cachedir);
      await cache.checkout(artifact.ref, dir, { hardlink: false });
      await createDeviceNodes(dir, await artifactDevices(cache, artifact.ref));
    },
    async revision() {
      const cache = await ArtifactCache.open(app.settings.cachedir);
      return artifactRevision(cache, artifact.ref);
    },
  };
}

/**
 * The commit checksums of `ref` and of its device list (if any), read from
 * the repository's ref files: `<commit>` or `<commit>+<devices commit>`.
 */
export async function artifactRevision(cache: ArtifactCache, ref: string): Promise<string | undefined> {
  const [commit, devices] = await Promise.all([cache.resolveRef(ref), cache.resolveRef(devicesRef(ref))]);
  if (commit === undefined) return undefined;
  return devices === undefined ? commit : `${commit}+${devices}`;
}
