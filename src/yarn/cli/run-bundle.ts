/**
 * The run command's build-time bundle (scripts/bundle-yarn-run.mjs), loaded
 * with V8's code cache. Startup is most of a short run (spec yarn.md
 * section 3: s1x2 ≤ 1.2× the reference), and most of yarn-run's own share
 * of it was compiling its JavaScript: one file instead of ~30 modules saves
 * the module loading, and the code cache (made at build time by a warm-up
 * run, `run-subcommand.bundle.cache`) saves parsing and compiling the
 * functions a run calls. Node 20 has no code cache for ES modules, so the
 * bundle is a CommonJS-style function body run with `vm.Script`.
 *
 * The bundle holds no copy of the modules that are also loaded outside it
 * (this folder's entry point's own imports, and api.js, which step modules
 * import): it gets this process's instances of them, so every class exists
 * once and `instanceof` holds.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import * as appError from '../../shared/app-error.js';
import * as api from '../api.js';
import * as errors from '../errors.js';
import * as options from './options.js';

/** The bundle: the body of `function (exports, require, module, __bundleUrl, __dynamicImport)`. */
export const BUNDLE = new URL('./run-subcommand.bundle.cjs', import.meta.url);
/** V8's code cache for the bundle (rejected by V8, and then unused, when it does not fit this node). */
export const CODE_CACHE = new URL('./run-subcommand.bundle.cache', import.meta.url);

/** The modules the bundle shares with this process, by the path the bundle requires them by. */
const SHARED: Readonly<Record<string, unknown>> = {
  '../errors.js': errors,
  '../api.js': api,
  '../../shared/app-error.js': appError,
  './options.js': options,
};

/** The bundle, loaded: its exports and the script (whose code cache the build writes). */
export interface LoadedBundle {
  readonly exports: typeof import('./run-subcommand.js');
  readonly script: Script;
}

function readIfPresent(url: URL): Buffer | undefined {
  try {
    return readFileSync(url);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Loads the bundle when it is at least as new as this module (a `tsc` run
 * without the bundling step leaves a stale one), else undefined: the caller
 * then imports `run-subcommand.js` and its modules.
 */
export function loadRunBundle(): LoadedBundle | undefined {
  const here = new URL(import.meta.url);
  try {
    if (statSync(BUNDLE).mtimeMs < statSync(here).mtimeMs) return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const body = readFileSync(BUNDLE, 'utf8');
  const script = new Script(
    `(function (exports, require, module, __bundleUrl, __dynamicImport) {${body}\n})`,
    { filename: fileURLToPath(BUNDLE), cachedData: readIfPresent(CODE_CACHE) },
  );
  const nodeRequire = createRequire(BUNDLE);
  const module = { exports: {} as LoadedBundle['exports'] };
  const load = script.runInThisContext() as (
    exports: object,
    require: (id: string) => unknown,
    module: object,
    bundleUrl: string,
    dynamicImport: (id: string) => Promise<unknown>,
  ) => void;
  load(
    module.exports,
    (id) => SHARED[id] ?? nodeRequire(id),
    module,
    BUNDLE.href,
    (id) => import(id),
  );
  return { exports: module.exports, script };
}
