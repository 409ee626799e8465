import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../shared/exec.js';
import { MorphError } from '../../errors.js';
import { BACKGROUND } from '../../sources/git-cache.js';
import type { BuildApp } from '../graph/build-app.js';
import { buildUmaskArgv, SOURCE_DATE_EPOCH } from '../graph/hermetic.js';

/**
 * Makes `dir` (absent or empty) a git working copy of `repoName` at
 * `commit`, `.git` included and self-contained (docs/spec/morph.md 5.10 step 1), with
 * submodules checked out recursively from the git cache. Two git processes
 * without submodules: a local clone (objects hard-linked, not copied) and
 * one checkout, which writes every file now. The spec's `git clean -fxd` and
 * `git reset --hard` would change nothing in a fresh clone, so they are not run.
 * `background` runs git at low priority (a checkout made ahead of its build).
 * The checkout keeps nothing of this host or time: every mtime is
 * SOURCE_DATE_EPOCH, `origin` is the repository's name, and there are no
 * reflogs, and the index holds no stat data (inode numbers, times).
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
    // Files get the modes git gives them under umask 0022, whatever morph's umask is.
    await runCommand(
      buildUmaskArgv([...priority, 'git', 'clone', '--quiet', '--no-checkout', repo.path, dir]),
    );
    await runCommand(buildUmaskArgv([...priority, 'git', 'checkout', '--quiet', '--detach', commit]), {
      cwd: dir,
    });
    if (existsSync(join(dir, '.gitmodules'))) await checkoutSubmodules(app, dir);
    await forgetHost(dir, repoName);
    // Every file, directory and symlink dated SOURCE_DATE_EPOCH, whenever and in whatever order git wrote them.
    await runCommand([
      ...priority,
      'find',
      dir,
      '-exec',
      'touch',
      '-h',
      '-d',
      `@${SOURCE_DATE_EPOCH}`,
      '{}',
      '+',
    ]);
  } catch (err) {
    if (err instanceof MorphError) throw err;
    throw new MorphError('build', 'source-checkout-failed', `cannot check out ${repoName} at ${commit}`, {
      cause: err,
      hint: (err as Error).message,
    });
  }
}

/**
 * Removes what a clone records of this host from a checkout's git state:
 * `origin` names the repository as written in the definitions instead of
 * the mirror's path, the reflogs (clone time and identity) are gone, and
 * the index holds no stat data.
 */
async function forgetHost(dir: string, repoName: string): Promise<void> {
  await runCommand(['git', 'remote', 'set-url', 'origin', repoName], { cwd: dir });
  await rm(join(dir, '.git', 'logs'), { recursive: true, force: true });
  await forgetIndexStat(dir);
}

/**
 * Replaces the index, which holds every file's inode, device and change
 * time, by one read from HEAD without looking at the files: the same
 * entries with zero stat data (git compares contents where they do not match).
 */
async function forgetIndexStat(dir: string): Promise<void> {
  const gitDir = (await runCommand(['git', 'rev-parse', '--absolute-git-dir'], { cwd: dir })).stdout.trim();
  await rm(join(gitDir, 'index'), { force: true });
  await runCommand(buildUmaskArgv(['git', 'read-tree', 'HEAD']), { cwd: dir });
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
      buildUmaskArgv([
        'git',
        '-c',
        'protocol.file.allow=always',
        'submodule',
        'update',
        '--',
        path.stdout.trim() || match[2],
      ]),
      { cwd: dir },
    );
    const sub = join(dir, path.stdout.trim() || match[2]);
    if (existsSync(join(sub, '.gitmodules'))) await checkoutSubmodules(app, sub);
    // The submodule is known by its URL as written, not by the mirror it came from.
    await runCommand(['git', 'config', match[1], match[3]], { cwd: dir });
    const gitDir = await runCommand(['git', 'rev-parse', '--absolute-git-dir'], { cwd: sub });
    await runCommand(['git', 'remote', 'set-url', 'origin', match[3]], { cwd: sub });
    await rm(join(gitDir.stdout.trim(), 'logs'), { recursive: true, force: true });
    await forgetIndexStat(sub);
  }
}
