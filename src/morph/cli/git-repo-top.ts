import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MorphError } from '../errors.js';

/**
 * The nearest directory at or above `cwd` with a `.git` directory (docs/spec/morph.md 1.7.9).
 * @throws MorphError cli/not-in-git-repo
 */
export function gitRepoTop(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) {
      throw new MorphError('cli', 'not-in-git-repo', `${cwd} is not inside a git repository`, {
        hint: 'run it from a checkout, e.g. a chunk or definitions repository of a system branch',
      });
    }
  }
}
