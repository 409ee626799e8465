/**
 * Shared checkouts (docs/deploy.md, "Deploy trees"): the read-only
 * hard-link checkout of a system artifact is kept between deployments in
 * `<cachedir>/deploy-checkouts/<revision>/tree` and used as the lower layer
 * of every deploy tree of that revision, so that only the first deployment
 * of a system pays for the checkout (about 23,000 links and directories for
 * a 300 MB system: seconds) and the next ones only mount an overlay.
 *
 * A checkout is made in a `.partial-*` directory and renamed into place
 * complete, so a reader never sees half of one, and two deployments making
 * the same one at once both succeed (the loser's copy is removed). Each use
 * touches it; checkouts beyond the SHARED_CHECKOUTS_KEPT most recently used
 * ones, and unused for SHARED_CHECKOUT_GRACE_MS, are removed by the next
 * deployment: the grace period keeps a checkout that a running deployment
 * has mounted.
 */

import { spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { CleanupStack } from '../../shared/cleanup-stack.js';
import { ifPresentSync, readdirIfPresent, statIfPresent } from '../../shared/if-present.js';
import { invariant } from '../../shared/invariant.js';
import { ownedPrefix } from '../../shared/owned-name.js';

/** How many shared checkouts are kept at least (the most recently used). */
export const SHARED_CHECKOUTS_KEPT = 4;

/** A checkout (or a leftover partial one) unused for this long may be removed. */
export const SHARED_CHECKOUT_GRACE_MS = 60 * 60 * 1000;

/** A shared checkout in use; `release` marks it used now (idempotent). */
export interface SharedCheckout {
  /** The read-only tree: never write through it. */
  tree: string;
  /**
   * The checkout's own directory (`tree` is in it): deployments may keep
   * files derived from the tree alone here, such as rawdisk's pristine
   * image; they are removed together with the checkout.
   */
  dir: string;
  release(): void;
}

/** Where the shared checkouts of the cache at `cachedir` live. */
export function sharedCheckoutsDir(cachedir: string): string {
  return join(cachedir, 'deploy-checkouts');
}

/**
 * The shared checkout of `revision` under `dir`, made with `populate`
 * (which creates the directory it is given) when there is none yet.
 * Returns undefined when `dir` is not on the filesystem of `repo`: the
 * checkout would then be a copy rather than hard links, too big to keep.
 * @throws what `populate` throws; the partial checkout is removed first.
 */
export async function sharedCheckout(options: {
  dir: string;
  revision: string;
  repo: string;
  cleanup: CleanupStack;
  populate: (tree: string) => Promise<void>;
  now?: () => Date;
}): Promise<SharedCheckout | undefined> {
  const now = options.now ?? (() => new Date());
  invariant(/^[\w.+-]+$/.test(options.revision), `checkout revision ${options.revision} is a plain name`);
  await mkdir(options.dir, { recursive: true });
  const [dirInfo, repoInfo] = await Promise.all([stat(options.dir), stat(options.repo)]);
  if (dirInfo.dev !== repoInfo.dev) return undefined;
  const home = join(options.dir, options.revision);
  const use = (): SharedCheckout => ({
    tree: join(home, 'tree'),
    dir: home,
    release: () => {
      const time = now();
      // Removed meanwhile (by hand, or gc): nothing to mark.
      ifPresentSync(() => utimesSync(home, time, time));
    },
  });
  const existing = await statIfPresent(join(home, 'tree'));
  if (existing?.isDirectory()) {
    const time = now();
    await utimes(home, time, time);
    await evictStale(options.dir, options.revision, now());
    return use();
  }
  const partial = await mkdtemp(join(options.dir, ownedPrefix('.partial-')));
  const removal = options.cleanup.push(`remove partial checkout ${partial}`, () => removeTree(partial));
  try {
    await options.populate(join(partial, 'tree'));
    await rename(partial, home).catch(async (err: NodeJS.ErrnoException) => {
      // Made by a concurrent deployment meanwhile: use that one.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    removal.release();
  }
  await evictStale(options.dir, options.revision, now());
  return use();
}

/**
 * Removes the checkouts beyond the SHARED_CHECKOUTS_KEPT most recently used
 * (`keep` counts as one of them) that are unused for the grace period, and
 * partial or half-removed ones as old (left by killed deployments).
 */
export async function evictStale(dir: string, keep: string, now: Date): Promise<string[]> {
  const cutoff = now.getTime() - SHARED_CHECKOUT_GRACE_MS;
  const entries: { name: string; used: number }[] = [];
  for (const name of await readdirIfPresent(dir)) {
    const info = await statIfPresent(join(dir, name));
    if (info) entries.push({ name, used: info.mtimeMs });
  }
  const kept = entries
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => b.used - a.used)
    .filter((e) => e.name !== keep)
    .slice(0, SHARED_CHECKOUTS_KEPT - 1)
    .map((e) => e.name);
  const removed: string[] = [];
  for (const { name, used } of entries) {
    if (name === keep || kept.includes(name) || used >= cutoff) continue;
    // Renamed first, so that no deployment picks it up while it is half removed.
    const doomed = name.startsWith('.') ? join(dir, name) : join(dir, `.removing-${name}`);
    if (doomed !== join(dir, name)) {
      const renamed = await rename(join(dir, name), doomed).then(
        () => true,
        () => false,
      );
      if (!renamed) continue;
    }
    removeTree(doomed);
    removed.push(name);
  }
  return removed;
}

/**
 * Removes the checkouts under `dir` whose commit (`<commit>[+<devices
 * commit>]`) is not in `liveCommits`, and those left half removed by a
 * process that died (`.removing-*`); returns how many (for `morph gc`).
 */
export function removeCheckoutsOfDeadCommits(dir: string, liveCommits: ReadonlySet<string>): Promise<number> {
  return readdir(dir).then(
    (names) => {
      let removed = 0;
      for (const name of names) {
        const dead =
          name.startsWith('.removing-') ||
          (!name.startsWith('.') && !liveCommits.has(name.split('+')[0] ?? ''));
        if (!dead) continue;
        removeTree(join(dir, name));
        removed++;
      }
      return removed;
    },
    () => 0,
  );
}

/** rm -rf that never crosses into another filesystem (a mount left by a crash). */
function removeTree(path: string): void {
  spawnSync('rm', ['-rf', '--one-file-system', path], { stdio: 'ignore' });
}
