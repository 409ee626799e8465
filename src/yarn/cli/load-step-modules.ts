/**
 * Loads TypeScript (or JavaScript) step modules.
 *
 * A `.ts` module is bundled with esbuild (bundle, node, esm, packages
 * external, inline source map) into `node_modules/.cache/yarn-run/` next to
 * the module's package, named by the bundle's content hash. A per-module
 * index records every input file (size + mtime) and a manifest of the
 * module's steps (kinds, pattern, doc, location). On a warm start the index
 * is checked with a few `stat`s and binding uses the manifest alone: the
 * bundle is imported only when a TS step actually runs, so shell-only runs
 * never load esbuild or the step modules' dependencies. A module's import
 * of yarn-run's own `api` (this repository's `src/yarn/api.ts`) stays an
 * import of the running engine's `api.js`, so the classes a step throws
 * (`StepFailure`) are the engine's own.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import type { StepFunction, StepImpl, StepKind, SuiteHook } from '../api.js';
import { YarnError } from '../errors.js';
import type { TsImplementation } from '../model.js';

interface ManifestStep {
  kinds: StepKind[];
  source: string;
  flags: string;
  doc: string;
  timeoutMs?: number;
  location: string;
}

interface ModuleIndex {
  version: 3;
  entry: string;
  bundle: string;
  inputs: { path: string; size: number; mtimeMs: number }[];
  steps: ManifestStep[];
  /** How many suite hooks the module exports (0: never imported for hooks). */
  hooks: number;
}

/** What a step module exports: its steps and its suite hooks. */
interface ModuleExports {
  steps: StepImpl[];
  hooks: SuiteHook[];
}

/** The loaded implementations and a way to get each one's function. */
export interface LoadedSteps {
  readonly implementations: TsImplementation[];
  /** Imports the module on first use. @throws YarnError STEP_MODULE */
  load(impl: TsImplementation): Promise<StepFunction>;
  /** Imports the modules that have suite hooks and returns those, in module order. @throws YarnError STEP_MODULE */
  loadHooks(): Promise<SuiteHook[]>;
}

interface Origin {
  bundle: string;
  entry: string;
  index: number;
}

const KINDS = new Set(['ASSUMING', 'GIVEN', 'WHEN', 'THEN', 'FINALLY']);

function cacheDirFor(entry: string): string {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'yarn-run');
    if (dirname(dir) === dir) break;
  }
  return join(dirname(entry), '.yarn-run-cache');
}

/** A short stable name for `text` (FNV-1a; the warm path must not load node:crypto). */
function nameHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

async function contentHash(text: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}

function readIndex(path: string): ModuleIndex | undefined {
  try {
    const index = JSON.parse(readFileSync(path, 'utf8')) as ModuleIndex;
    if (index.version !== 3) return undefined;
    for (const input of index.inputs) {
      const st = statSync(input.path);
      if (st.size !== input.size || st.mtimeMs !== input.mtimeMs) return undefined;
    }
    if (!existsSync(index.bundle)) return undefined;
    return index;
  } catch {
    return undefined;
  }
}

function moduleError(entry: string, message: string, cause?: unknown, location?: string): YarnError {
  return new YarnError('STEP_MODULE', `cannot load step module ${entry}: ${message}`, {
    location: location ?? entry,
    cause,
  });
}

/** The running engine's api module, and the source it is compiled from. */
const ENGINE_API = fileURLToPath(new URL('../api.js', import.meta.url));
const ENGINE_API_SOURCE = fileURLToPath(new URL('../../../../src/yarn/api.ts', import.meta.url));

/** esbuild plugin: imports of the engine's api resolve to the running engine's `api.js`. */
const engineApiExternal: Plugin = {
  name: 'engine-api-external',
  setup(build) {
    build.onResolve({ filter: /(^|\/)api(\.[jt]s)?$/ }, (args) => {
      const path = resolve(args.resolveDir, args.path).replace(/\.[jt]s$/, '');
      return `${path}.ts` === ENGINE_API_SOURCE || `${path}.js` === ENGINE_API
        ? { path: ENGINE_API, external: true }
        : undefined;
    });
  },
};

async function bundle(
  entry: string,
  cacheDir: string,
): Promise<{ bundle: string; inputs: ModuleIndex['inputs'] }> {
  const esbuild = await import('esbuild');
  let out: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    out = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outdir: cacheDir,
      absWorkingDir: dirname(entry),
      plugins: [engineApiExternal],
    });
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] })
      .errors?.[0];
    if (first) {
      const loc = first.location
        ? `${resolve(dirname(entry), first.location.file)}:${first.location.line}`
        : entry;
      throw moduleError(entry, first.text, err, loc);
    }
    throw moduleError(entry, (err as Error).message, err);
  }
  const file = out.outputFiles?.find((f) => f.path.endsWith('.js'));
  if (!file) throw moduleError(entry, 'esbuild produced no output');
  const text = file.text;
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `bundle-${await contentHash(text)}.mjs`);
  if (!existsSync(path)) writeFileSync(path, text);
  const inputs = Object.keys(out.metafile?.inputs ?? {}).map((p) => {
    const abs = resolve(dirname(entry), p);
    const st = statSync(abs);
    return { path: abs, size: st.size, mtimeMs: st.mtimeMs };
  });
  return { bundle: path, inputs };
}

const imported = new Map<string, Promise<ModuleExports>>();

function isHook(value: unknown): value is SuiteHook {
  const h = value as Partial<SuiteHook> | null;
  return !!h && (h.hook === 'beforeAll' || h.hook === 'afterAll') && typeof h.run === 'function';
}

function importSteps(bundlePath: string, entry: string): Promise<ModuleExports> {
  let p = imported.get(bundlePath);
  if (!p) {
    p = (async () => {
      process.setSourceMapsEnabled(true);
      let mod: Record<string, unknown>;
      try {
        const { pathToFileURL } = await import('node:url');
        mod = (await import(pathToFileURL(bundlePath).href)) as Record<string, unknown>;
      } catch (err) {
        throw moduleError(entry, (err as Error).message, err, stackLocation(err));
      }
      const all = (mod.default ?? mod.steps) as unknown;
      if (!Array.isArray(all)) {
        throw moduleError(entry, 'it must default-export (or export as `steps`) an array of step() values');
      }
      const hooks = all.filter(isHook);
      const steps = all.filter((s) => !isHook(s));
      steps.forEach((s, i) => {
        const impl = s as Partial<StepImpl>;
        if (
          !impl ||
          !Array.isArray(impl.kinds) ||
          !impl.kinds.every((k) => KINDS.has(k)) ||
          typeof impl.run !== 'function' ||
          typeof (impl.pattern as RegExp | undefined)?.source !== 'string'
        ) {
          throw moduleError(entry, `element ${i} of its steps is not a step() value`);
        }
      });
      return { steps: steps as StepImpl[], hooks };
    })();
    imported.set(bundlePath, p);
  }
  return p;
}

function stackLocation(err: unknown): string | undefined {
  const stack = (err as Error | undefined)?.stack ?? '';
  const m = /\(?((?:file:\/\/)?\/[^()\s]+\.[cm]?[tj]s):(\d+):\d+\)?/.exec(stack);
  return m ? `${m[1]!.replace(/^file:\/\//, '')}:${m[2]}` : undefined;
}

function displayLocation(location: string, srcdir: string): string {
  const m = /^(.*):(\d+)$/.exec(location);
  if (!m || !m[1]!.startsWith('/')) return location;
  const rel = relative(srcdir, m[1]!);
  return `${rel.startsWith('..') ? m[1] : rel}:${m[2]}`;
}

/**
 * Loads the manifests of `files` (bundling on a cold cache).
 * @throws YarnError STEP_MODULE when a module cannot be read, bundled or imported.
 */
export async function loadStepModules(files: readonly string[], srcdir: string): Promise<LoadedSteps> {
  const implementations: TsImplementation[] = [];
  const origins = new Map<TsImplementation, Origin>();
  const withHooks: { bundle: string; entry: string }[] = [];
  for (const file of files) {
    const entry = resolve(srcdir, file);
    if (!existsSync(entry)) throw moduleError(file, 'No such file or directory', undefined, file);
    const cacheDir = cacheDirFor(entry);
    const indexPath = join(cacheDir, `index-${nameHash(entry)}.json`);
    let index = readIndex(indexPath);
    if (!index) {
      const isTs = /\.[cm]?tsx?$/.test(entry);
      const built = isTs
        ? await bundle(entry, cacheDir)
        : { bundle: entry, inputs: [] as ModuleIndex['inputs'] };
      if (!isTs) {
        const st = statSync(entry);
        built.inputs.push({ path: entry, size: st.size, mtimeMs: st.mtimeMs });
      }
      const { steps, hooks } = await importSteps(built.bundle, entry);
      index = {
        version: 3,
        entry,
        bundle: built.bundle,
        inputs: built.inputs,
        hooks: hooks.length,
        steps: steps.map((s) => ({
          kinds: [...s.kinds],
          source: s.pattern.source,
          flags: s.pattern.flags,
          doc: s.doc,
          timeoutMs: s.timeoutMs,
          location: s.location,
        })),
      };
      try {
        mkdirSync(cacheDir, { recursive: true });
        writeFileSync(indexPath, JSON.stringify(index));
      } catch {
        // a read-only tree just means no warm start
      }
    }
    if (index.hooks > 0) withHooks.push({ bundle: index.bundle, entry });
    index.steps.forEach((m, i) => {
      let pattern: RegExp;
      try {
        pattern = new RegExp(m.source, m.flags);
      } catch (err) {
        throw moduleError(entry, `bad pattern /${m.source}/: ${(err as Error).message}`, err, m.location);
      }
      const location = displayLocation(m.location, srcdir);
      const impl: StepImpl = {
        kinds: m.kinds,
        pattern,
        doc: m.doc,
        timeoutMs: m.timeoutMs,
        location,
        run: () => {
          throw new Error('step function not loaded');
        },
      };
      const ts: TsImplementation = { type: 'ts', impl, location };
      implementations.push(ts);
      origins.set(ts, { bundle: index!.bundle, entry, index: i });
    });
  }
  return {
    implementations,
    async load(impl: TsImplementation): Promise<StepFunction> {
      const origin = origins.get(impl);
      if (!origin) return impl.impl.run;
      const { steps } = await importSteps(origin.bundle, origin.entry);
      const fn = steps[origin.index]?.run;
      if (!fn) throw moduleError(origin.entry, 'its steps changed while running');
      return fn;
    },
    async loadHooks(): Promise<SuiteHook[]> {
      const hooks: SuiteHook[] = [];
      for (const m of withHooks) hooks.push(...(await importSteps(m.bundle, m.entry)).hooks);
      return hooks;
    },
  };
}
