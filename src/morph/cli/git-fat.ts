import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { App } from '../app.js';
import { MorphError } from '../errors.js';

/** True when the repository at `top` keeps binaries with git-fat (it has a `.gitfat` file). */
export function hasGitFat(top: string): boolean {
  return existsSync(join(top, '.gitfat'));
}

/**
 * Runs `git fat ARGS` at `top`, output captured.
 * @throws MorphError cli/git-fat-missing when no `git-fat` is on PATH (it is not packaged in
 *   Debian 12), cli/git-fat-failed when it fails.
 */
export async function gitFat(app: App, top: string, args: readonly string[]): Promise<void> {
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  if (!path.some((dir) => existsSync(join(dir, 'git-fat')))) {
    throw new MorphError(
      'cli',
      'git-fat-missing',
      'git-fat is not installed: `git fat` is needed for binary files',
      {
        hint:
          'Debian 12 has no git-fat package: put the git-fat script (https://github.com/jedbrown/git-fat, ' +
          'needs python2 or a python3 port and rsync) on PATH as git-fat',
      },
    );
  }
  const result = await app.runApp(['git', 'fat', ...args], { cwd: top, allowFailure: true });
  if (result.exitCode !== 0) {
    throw new MorphError(
      'cli',
      'git-fat-failed',
      `git fat ${args.join(' ')} failed with exit code ${result.exitCode}`,
      {
        hint: result.stderr.trim().split('\n').pop(),
      },
    );
  }
}
