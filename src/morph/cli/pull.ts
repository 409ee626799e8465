import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { expectArguments } from './arguments.js';
import { gitFat, hasGitFat } from './git-fat.js';
import { gitRepoTop } from './git-repo-top.js';

export const usage = '[BRANCH]';
export const help =
  "Pull into the repository around the current directory (BRANCH: that branch of origin's URL).";

/**
 * `morph pull [BRANCH]` (docs/spec/morph.md 1.7.9): `git pull`, or `git pull <origin's
 * fetch URL> BRANCH`, at the repository top; then git-fat's files when the
 * repository uses git-fat.
 * @throws MorphError cli/pull-failed with the git command and its stderr
 */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('pull', args, 0, 1, 'at most one argument (BRANCH)');
  const top = gitRepoTop(app.cwd);
  const argv = ['git', 'pull'];
  if (args[0] !== undefined) {
    const origin = await app.runApp(['git', 'remote', 'get-url', 'origin'], { cwd: top, allowFailure: true });
    if (origin.exitCode !== 0) {
      throw new MorphError('cli', 'pull-failed', `${top} has no remote called origin`, {
        hint: 'morph pull BRANCH pulls BRANCH from origin',
      });
    }
    argv.push(origin.stdout.trim(), args[0]);
  }
  const result = await app.runApp(argv, { cwd: top, allowFailure: true });
  if (result.exitCode !== 0) {
    throw new MorphError(
      'cli',
      'pull-failed',
      `${argv.join(' ')} failed: ${result.stderr.trim().split('\n').join(' | ')}`,
    );
  }
  if (hasGitFat(top)) {
    await gitFat(app, top, ['init']);
    await gitFat(app, top, ['pull']);
  }
}
