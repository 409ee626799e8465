import { CleanupStack } from '../../shared/cleanup-stack.js';
import type { App } from '../app.js';
import { checkoutSystemArtifact } from '../build/stage/system-artifact.js';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { artifactRef } from '../cache/artifact-ref.js';
import { sharedCheckout, sharedCheckoutsDir } from './shared-checkout.js';
import { artifactRevision } from './system-resolver.js';

/**
 * Makes (or marks as used) the shared checkout that deployments of a system
 * artifact mount their deploy trees on (shared-checkout.ts), so that the
 * first deployment after a build finds its tree ready: `morph build` calls
 * this for the system it built. Returns the checkout's tree, or undefined
 * where no shared checkout can be kept (cache on another filesystem).
 */
export async function prepareDeployCheckout(
  app: Pick<App, 'settings'>,
  system: { cacheKey: string; artifactName: string },
): Promise<string | undefined> {
  const cache = await ArtifactCache.open(app.settings.cachedir);
  const ref = artifactRef(system.cacheKey, 'system', system.artifactName);
  const revision = await artifactRevision(cache, ref);
  if (revision === undefined) return undefined;
  const cleanup = new CleanupStack();
  try {
    const shared = await sharedCheckout({
      dir: sharedCheckoutsDir(app.settings.cachedir),
      revision,
      repo: cache.repoPath,
      cleanup,
      populate: (tree) => checkoutSystemArtifact(app, system.cacheKey, system.artifactName, tree),
    });
    shared?.release();
    return shared?.tree;
  } finally {
    cleanup.unwind();
  }
}
