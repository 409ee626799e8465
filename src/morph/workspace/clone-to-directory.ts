import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { getGitConfig } from './git-config.js';
import { newUuid } from './system-branch.js';

/** What to clone where (docs/spec/morph.md 3.3 "Cloning into the workspace"). */
export interface CloneRequest {
  /** Repo name as typed (`test:morphs`); must already be in the git cache. */
  readonly repo: string;
  /** Branch, tag or 40-hex SHA to check out. */
  readonly ref: string;
  /** Target directory; must not exist. */
  readonly dir: string;
  /**
   * If given, a local branch of this name is (re)created at the cloned
   * commit and checked out, without upstream (branch, edit, branch-from-image).
   */
  readonly localBranch?: string;
}

const SHA1 = /^[0-9a-f]{40}$/;

/**
 * Clones `repo` from the git cache into a workspace directory at `ref`, then
 * writes the morph git config (`morph.repository`, `morph.uuid`, origin URL,
 * pushInsteadOf), initialises submodules with alias-expanded URLs and fetches
 * the real upstream with `git remote update --prune`.
 * @throws MorphError workspace/checkout-exists, or the CommandError of a failing git
 */
export async function cloneToDirectory(app: App, request: CloneRequest): Promise<void> {
  const { repo, ref, dir } = request;
  if (existsSync(dir)) {
    throw new MorphError('workspace', 'checkout-exists', `checkout directory already exists: ${dir}`);
  }
  const mirror = app.gitCache.mirrorPath(repo);
  await mkdir(dirname(dir), { recursive: true });
  app.status.normal(`Checking out ${repo} at ${ref} into ${dir}`);
  if (SHA1.test(ref)) {
    await app.runApp(['git', 'clone', '-n', mirror, dir]);
    await app.runApp(['git', 'checkout', '-q', ref], { cwd: dir });
  } else {
    await app.runApp(['git', 'clone', '-b', ref, mirror, dir]);
  }
  if (request.localBranch !== undefined) {
    await app.runApp(['git', 'checkout', '-q', '--no-track', '-B', request.localBranch, 'HEAD'], {
      cwd: dir,
    });
  }

  const pull = app.aliases.pullUrl(repo);
  const push = app.aliases.pushUrl(repo);
  for (const [key, value] of [
    ['morph.repository', repo],
    ['morph.uuid', newUuid()],
    ['remote.origin.url', pull],
    [`url.${push}.pushInsteadOf`, pull],
  ] as const) {
    await app.runApp(['git', 'config', key, value], { cwd: dir });
  }

  if (existsSync(join(dir, '.gitmodules'))) await initSubmodules(app, dir);
  // Always, as the original did: no-git-update covers the git cache, not workspace checkouts.
  app.status.chatty(`Fetching ${pull} into ${dir}`);
  await app.runApp(['git', 'remote', 'update', '--prune'], { cwd: dir });
}

async function initSubmodules(app: App, dir: string): Promise<void> {
  await app.runApp(['git', 'submodule', 'init'], { cwd: dir });
  const listed = await app.runApp(['git', 'config', '--get-regexp', '^submodule\\..*\\.url$'], {
    cwd: dir,
    allowFailure: true,
  });
  for (const line of listed.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space === -1) continue;
    const key = line.slice(0, space);
    const url = line.slice(space + 1);
    const expanded = app.aliases.pullUrl(url);
    if (expanded !== url) await app.runApp(['git', 'config', key, expanded], { cwd: dir });
  }
  await app.runApp(['git', 'submodule', 'update'], { cwd: dir });
}

/** True when git `user.name` and `user.email` are both set (checkout/branch warn otherwise). */
export async function hasGitIdentity(dir: string): Promise<boolean> {
  return (
    (await getGitConfig(dir, 'user.name')) !== undefined &&
    (await getGitConfig(dir, 'user.email')) !== undefined
  );
}
