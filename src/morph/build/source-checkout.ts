import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../shared/exec.js';
import { MorphError } from '../errors.js';
import { BACKGROUND } from '../sources/git-cache.js';
import type { BuildApp } from './build-app.js';

/**
 * Makes `dir` (absent or empty) a git working copy of `repoName` at
 * `commit`, `.git` included and self-contained (morph.md 5.10 step 1), with
 * submodules checked out recursively from the git cache. Two git processes
 * without submodules: a local clone (objects hard-linked, not copied) and
 * one checkout, which writes every file now. The spec's `git clean -fxd` and
 * `git reset --hard` would change nothing in a fresh clone, so they are not run.
 * `background` runs git at low priority (a checkout made ahead of its build).
 * @throws MorphError build/source-checkout-failed.
 */
export async function checkoutSource(
  app: BuildApp,
  repoName: string,
  commit: string,
  dir: string,
  options: { background?: boolean } = {},
): Promise<void> {
  const repo = await app.gitCache.getRepo(repoName);
  const priority = options.background ? BACKGROUND : [];
  try {
    await runCommand([...priority, 'git', 'clone', '--quiet', '--no-checkout', repo.path, dir]);
    await runCommand([...priority, 'git', 'checkout', '--quiet', '--detach', commit], { cwd: dir });
    if (existsSync(join(dir, '.gitmodules'))) await checkoutSubmodules(app, dir);
  } catch (err) {
    if (err instanceof MorphError) throw err;
    throw new MorphError('build', 'source-checkout-failed', `cannot check out ${repoName} at ${commit}`, {
      cause: err,
      hint: (err as Error).message,
    });
  }
}

async function checkoutSubmodules(app: BuildApp, dir: string): Promise<void> {
  await runCommand(['git', 'submodule', 'init'], { cwd: dir });
  const config = await runCommand(['git', 'config', '--get-regexp', '^submodule\\..*\\.url$'], {
    cwd: dir,
    allowFailure: true,
  });
  for (const line of config.stdout.split('\n')) {
    const match = /^(submodule\.(.*)\.url) (.*)$/.exec(line);
    if (!match?.[1] || !match[2] || !match[3]) continue;
    // Submodules come from the git cache, so builds never fetch from upstream directly.
    const mirror = await app.gitCache.getRepo(match[3]);
    await runCommand(['git', 'config', match[1], mirror.path], { cwd: dir });
    const path = await runCommand(['git', 'config', '-f', '.gitmodules', `submodule.${match[2]}.path`], {
      cwd: dir,
      allowFailure: true,
    });
    await runCommand(
      [
        'git',
        '-c',
        'protocol.file.allow=always',
        'submodule',
        'update',
        '--',
        path.stdout.trim() || match[2],
      ],
      { cwd: dir },
    );
    const sub = join(dir, path.stdout.trim() || match[2]);
    if (existsSync(join(sub, '.gitmodules'))) await checkoutSubmodules(app, sub);
  }
}
