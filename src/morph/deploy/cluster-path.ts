import { isAbsolute, relative, resolve } from 'node:path';
import { MorphError } from '../errors.js';

/**
 * The path of a morphology named on the command line, relative to the root
 * checkout (morph.md 5.1 step 3, 6.1 step 2): `.morph` appended to a bare
 * name, then resolved from `cwd`. So from `<root>/clusters`, `c.morph`,
 * `../clusters/c.morph` and `/abs/.../clusters/c.morph` all give
 * `clusters/c.morph`.
 * @throws MorphError `deploy/outside-definitions` when it is not inside the root checkout.
 */
export function morphologyPathInRoot(arg: string, cwd: string, rootDir: string): string {
  const name = !arg.includes('/') && !arg.endsWith('.morph') ? `${arg}.morph` : arg;
  const path = relative(rootDir, resolve(cwd, name));
  if (path === '' || path.startsWith('..') || isAbsolute(path)) {
    throw new MorphError(
      'deploy',
      'outside-definitions',
      `${arg} is not in the definitions checkout ${rootDir}`,
    );
  }
  return path;
}
