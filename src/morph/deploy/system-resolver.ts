import type { App } from '../app.js';
import { prepareBuildBranch } from '../build/build-branch.js';
import { createDeviceNodes } from '../build/device-nodes.js';
import { resolveBuildGraph } from '../build/resolve-build-graph.js';
import { artifactDevices } from '../build/staging-area.js';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { RemoteArtifactCache } from '../cache/remote-artifact-cache.js';
import { MorphError } from '../errors.js';
import { findSystemBranch } from '../workspace/index.js';
import type { ResolvedSystem, SystemResolver } from './deploy-session.js';

/**
 * The definitions commit to deploy from and a resolver of its systems
 * (morph.md 6.1 step 5, 6.2 step 2): the temporary build branch procedure
 * without pushing (or, with `local-changes=ignore`, the root checkout's
 * branch as committed), then each system resolved and keyed exactly as a
 * build would, without the architecture check. Nothing is built.
 */
export async function createSystemResolver(app: App, _rootDir: string): Promise<SystemResolver> {
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
    const build = await prepareBuildBranch(app, branch, { push: false });
    ({ repo, commit, ref: originalRef } = build);
  }
  const cache = await ArtifactCache.open(app.settings.cachedir);
  const remoteUrl = app.settings['artifact-cache-server'];
  const remote = RemoteArtifactCache.isUsable(remoteUrl)
    ? new RemoteArtifactCache(cache, remoteUrl)
    : undefined;
  const resolved = new Map<string, Promise<ResolvedSystem>>();

  return (file) => {
    let found = resolved.get(file);
    if (!found) {
      found = resolveSystem(app, { cache, remote, repo, commit, originalRef, file });
      resolved.set(file, found);
    }
    return found;
  };
}

async function resolveSystem(
  app: App,
  options: {
    cache: ArtifactCache;
    remote: RemoteArtifactCache | undefined;
    repo: string;
    commit: string;
    originalRef: string;
    file: string;
  },
): Promise<ResolvedSystem> {
  const { cache, remote } = options;
  const build = await resolveBuildGraph(
    app,
    { repo: options.repo, ref: options.commit, file: options.file, originalRef: options.originalRef },
    { checkArchitecture: false },
  );
  const ref = cache.ref(build.cacheKey, 'system', build.artifactName);
  // Deploy never builds: fail before any extension runs when no cache has it.
  if (!(await cache.hasRef(ref)) && (remote ? await remote.pull([ref]) : []).length === 0) {
    throw notYetBuilt(build.artifactName);
  }
  return {
    artifactName: build.artifactName,
    cacheKey: build.cacheKey,
    morphology: build.system,
    async checkout(dir, { hardlink }) {
      await cache.checkout(ref, dir, { hardlink });
      await createDeviceNodes(dir, await artifactDevices(cache, ref));
    },
  };
}

/** The error of design.md 3.1 for a system that no cache has. */
export function notYetBuilt(artifactName: string): MorphError {
  return new MorphError(
    'deploy',
    'not-yet-built',
    `Deployment failed as ${artifactName} is not yet built.\nPlease ensure the system is built before deployment.`,
  );
}
