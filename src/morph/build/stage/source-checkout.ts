import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../../shared/exec.js';
import { MorphError } from '../../errors.js';
import { BACKGROUND } from '../../sources/git-cache.js';
import type { BuildApp } from '../graph/build-app.js';
import { BUILD_UMASK, buildUmaskArgv, SOURCE_DATE_EPOCH } from '../graph/hermetic.js';

/**
 * Makes `dir` (absent or empty) a git working copy of `repoName` at
 * `commit`, `.git` included and self-contained (docs/spec/morph.md 5.10 step 1), with
 * submodules checked out recursively from the git cache. One shell runs
 * the git commands with the build umask (files get the modes git gives
 * them under umask 0022, whatever morph's umask is): a local clone
 * (objects hard-linked, not copied), one checkout, which writes every file
 * now, and the clean-up below; one process started by morph instead of
 * seven, each of which costs morph a fork of its whole address space. The
 * spec's `git clean -fxd` and `git reset --hard` would change nothing in a
 * fresh clone, so they are not run. `background` runs it at low priority
 * (a checkout made ahead of its build). The checkout keeps nothing of this
 * host or time: every mtime is SOURCE_DATE_EPOCH, `origin` is the
 * repository's name, and there are no reflogs, and the index holds no stat
 * data (inode numbers, times).
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
    const argv = [...priority, '/bin/sh', '-c', CLONE_SCRIPT, 'sh', repo.path, dir, commit, repoName];
    if ((await runCommand(argv)).stdout.trim() === 'submodules') {
      await checkoutSubmodules(app, dir);
      await runCommand(
        [...priority, '/bin/sh', '-c', `${FORGET_HOST_SCRIPT}\n${DATE_FILES}`, 'sh', repoName],
        {
          cwd: dir,
        },
      );
    }
  } catch (err) {
    if (err instanceof MorphError) throw err;
    throw new MorphError('build', 'source-checkout-failed', `cannot check out ${repoName} at ${commit}`, {
      cause: err,
      hint: (err as Error).message,
    });
  }
}

const UMASK = BUILD_UMASK.toString(8).padStart(4, '0');

/**
 * Run in a checkout with the repository's name as `$1`: what a clone
 * records of this host goes (`origin` names the repository as written in
 * the definitions instead of the mirror's path, the reflogs of clone time
 * and identity are removed, the index, which holds every file's inode,
 * device and change time, is read again from HEAD without looking at the
 * files: the same entries with zero stat data).
 */
const FORGET_HOST_SCRIPT = `umask ${UMASK} && set -e
git remote set-url origin "$1"
git_dir=$(git rev-parse --absolute-git-dir)
rm -rf "$git_dir/logs" "$git_dir/index"
git read-tree HEAD`;

/**
 * Run last in the top checkout: every file, directory and symlink (the
 * submodules' too) dated SOURCE_DATE_EPOCH, whenever and in whatever order
 * git wrote them.
 */
const DATE_FILES = `find . -exec touch -h -d @${SOURCE_DATE_EPOCH} {} +`;

/**
 * `sh -c CLONE_SCRIPT sh MIRROR DIR COMMIT NAME`: clones MIRROR into DIR
 * and checks COMMIT out; prints `submodules` and stops there when it has a
 * `.gitmodules` (morph checks them out from its git cache, then runs
 * FORGET_HOST_SCRIPT and DATE_FILES), else goes on with them for NAME.
 */
const CLONE_SCRIPT = `umask ${UMASK} && set -e
git clone --quiet --no-checkout "$1" "$2"
cd "$2"
git checkout --quiet --detach "$3"
if [ -e .gitmodules ]; then echo submodules; exit 0; fi
set -- "$4"
${FORGET_HOST_SCRIPT}
${DATE_FILES}`;

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
    await runCommand(['/bin/sh', '-c', FORGET_HOST_SCRIPT, 'sh', match[3]], { cwd: sub });
  }
}
