import { isAbsolute, relative, resolve } from 'node:path';
import { MorphError } from '../../errors.js';

/**
 * The path of a morphology named on the command line, relative to the root
 * checkout (docs/spec/morph.md 5.1 step 3): `.morph` is appended to a bare name, then
 * the path is resolved from `cwd` and made relative to `rootDir`, so from
 * `<root>/systems` the names `base-system.morph`, `../systems/base-system.morph`
 * and the absolute path all give `systems/base-system.morph`.
 * @throws MorphError build/outside-root-checkout when the file is not inside the root checkout.
 */
export function normaliseMorphologyPath(arg: string, cwd: string, rootDir: string): string {
  const name = !arg.includes('/') && !arg.endsWith('.morph') ? `${arg}.morph` : arg;
  const path = relative(rootDir, resolve(cwd, name));
  if (path.startsWith('..') || isAbsolute(path)) {
    throw new MorphError(
      'build',
      'outside-root-checkout',
      `${arg} is not inside the root checkout ${rootDir}`,
    );
  }
  return path;
}
