import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readdirIfPresent } from '../../shared/if-present.js';
import type { BuildApp } from '../build/graph/build-app.js';
import { memoDirOf, TreeDigestMemo } from '../build/remote/tree-digest-memo.js';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { removeCheckoutsOfDeadCommits, sharedCheckoutsDir } from '../deploy/shared-checkout.js';

/** Artifacts not used (stored or looked up) for this long are deleted by `morph gc`. */
export const ARTIFACT_MAX_AGE_SECONDS = 7 * 24 * 3600;

/** What `morph gc` removed. */
export interface GarbageReport {
  tempEntries: number;
  artifacts: number;
  sideFiles: number;
  /** Shared deploy checkouts of artifacts no longer in the cache (deploy/shared-checkout.ts). */
  deployCheckouts: number;
  /** Remote execution's digest memo entries of commits no longer in the cache. */
  digestMemos: number;
}

/**
 * `morph gc`: empties the scratch areas of the temporary directory (staging
 * areas, failed builds, unpacked chunks, leftover build-branch indexes),
 * deletes artifacts unused for `maxAgeSeconds` and prunes their objects,
 * then removes build logs and timing records of keys with no artifact left,
 * and the shared deploy checkouts and remote execution's digest memo
 * entries of commits no ref holds any more.
 * @throws MorphError cache/prune-failed.
 */
export async function collectGarbage(
  app: BuildApp,
  options: { maxAgeSeconds?: number; now?: Date } = {},
): Promise<GarbageReport> {
  const tempdir = app.settings.tempdir;
  let tempEntries = 0;
  for (const sub of ['staging', 'failed', 'chunks']) {
    for (const name of await readdirIfPresent(join(tempdir, sub))) {
      await rm(join(tempdir, sub, name), { recursive: true, force: true });
      tempEntries++;
    }
  }
  for (const name of await readdirIfPresent(tempdir)) {
    if (name.startsWith('build-branch-') || name.endsWith('.build-log')) {
      await rm(join(tempdir, name), { recursive: true, force: true });
      tempEntries++;
    }
  }

  const cache = await ArtifactCache.open(app.settings.cachedir);
  const cutoff =
    (options.now ?? new Date()).getTime() - (options.maxAgeSeconds ?? ARTIFACT_MAX_AGE_SECONDS) * 1000;
  const refs = await cache.listRefs();
  const old: string[] = [];
  for (const ref of refs) {
    const used = await cache.lastUsed(ref);
    if (used && used.getTime() < cutoff) old.push(ref);
  }
  // Always prune: it also drops the unreferenced layer commits of checkoutMany.
  await cache.deleteRefs(old);
  const live = refs.filter((ref) => !old.includes(ref));
  const liveKeys = new Set(live.map((ref) => ref.split('/')[1] ?? ''));
  let sideFiles = 0;
  for (const name of await readdir(cache.dir)) {
    const match = /^([0-9a-f]{64})\.(meta|build-log)$/.exec(name);
    if (match?.[1] && !liveKeys.has(match[1])) {
      await rm(join(cache.dir, name), { force: true });
      sideFiles++;
    }
  }
  const liveCommits = new Set<string>();
  for (const ref of live) {
    const commit = await cache.resolveRef(ref);
    if (commit) liveCommits.add(commit);
  }
  const checkouts = sharedCheckoutsDir(app.settings.cachedir);
  const deployCheckouts = await removeCheckoutsOfDeadCommits(checkouts, liveCommits);
  const digestMemos = await new TreeDigestMemo(memoDirOf(cache.dir)).removeEntriesExcept(liveCommits);
  return { tempEntries, artifacts: old.length, sideFiles, deployCheckouts, digestMemos };
}
