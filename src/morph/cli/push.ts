import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { expectArguments } from './arguments.js';
import { gitFat, hasGitFat } from './git-fat.js';
import { gitRepoTop } from './git-repo-top.js';

export const usage = 'REMOTE BRANCH';
export const help =
  'Push BRANCH of the repository around the current directory to REMOTE (and its git-fat files).';

/**
 * `morph push REMOTE BRANCH` (docs/spec/morph.md 1.7.9): `git push --porcelain
 * REMOTE BRANCH:BRANCH` at the repository top, nothing printed on success.
 * @throws MorphError cli/push-failed naming the remote's push URL
 */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('push', args, 2, 2, 'exactly two arguments (REMOTE BRANCH)');
  const [remote, branch] = args as [string, string];
  const top = gitRepoTop(app.cwd);
  const result = await app.runApp(['git', 'push', '--porcelain', remote, `${branch}:${branch}`], {
    cwd: top,
    allowFailure: true,
  });
  if (result.exitCode !== 0) {
    const urls = await app.runApp(['git', 'remote', 'get-url', '--push', remote], {
      cwd: top,
      allowFailure: true,
    });
    const url = urls.exitCode === 0 ? urls.stdout.trim() : 'None';
    throw new MorphError(
      'cli',
      'push-failed',
      `push to ${remote} (${url}) failed with exit code ${result.exitCode}`,
      {
        hint: result.stderr.trim().split('\n').pop(),
      },
    );
  }
  if (hasGitFat(top)) {
    await gitFat(app, top, ['init']);
    await gitFat(app, top, ['push']);
  }
}
