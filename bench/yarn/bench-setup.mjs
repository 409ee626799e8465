// What the yarn-run benchmarks share: where things are, and their `--name value` options.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared benchmark kit (gen.mjs, abtest.mjs). */
export const kit = process.env.BENCH_KIT ?? resolve(root, '../shared/bench');
/** yarn-run as built by `npm run build`. */
export const engine = join(root, 'dist', 'src', 'yarn', 'cli', 'yarn-run.cjs');
/** cmdtest's yarn. */
export const reference = process.env.REFERENCE_YARN ?? '/usr/bin/yarn';

/** The value after `--NAME` on the command line, else `dflt`. */
export function option(name, dflt) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
}
