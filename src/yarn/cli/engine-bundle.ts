/**
 * A single-file bundle of the run command, for startup speed: loading ~30
 * small ES modules costs about as much as the rest of a short run (spec §3:
 * startup ≤ 1.2× the reference). After a build, the first run imports the
 * modules one by one and then writes `run-command.bundle.mjs` beside them
 * (esbuild, npm packages left external); later runs import that one file
 * while it is newer than `main.js` (tsc rewrites main.js on every build).
 * Failing to write it (read-only install) only costs speed.
 */
import { renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bundlePath = join(here, 'run-command.bundle.mjs');

/** True when a bundle at least as new as the compiled CLI exists. */
export function hasFreshBundle(): boolean {
  // Under coverage (c8), run the per-file modules so reports name the sources.
  if (process.env.NODE_V8_COVERAGE) return false;
  try {
    return statSync(bundlePath).mtimeMs >= statSync(join(here, 'main.js')).mtimeMs;
  } catch {
    return false;
  }
}

/** The bundle's path (import it when `hasFreshBundle()`). */
export function engineBundlePath(): string {
  return bundlePath;
}

/** Writes the bundle (atomically); errors are ignored. */
export async function writeEngineBundle(): Promise<void> {
  try {
    const esbuild = await import('esbuild');
    const tmp = `${bundlePath}.${process.pid}.tmp`;
    await esbuild.build({
      entryPoints: [join(here, 'run-command.js')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: tmp,
      logLevel: 'silent',
      // Lazily loaded parts (TS step loader, reports, lint) stay separate modules:
      // inlined, their imports (crypto, markdown-it) would be hoisted into startup.
      plugins: [
        {
          name: 'keep-dynamic-imports',
          setup(build) {
            build.onResolve({ filter: /.*/ }, (args) =>
              args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
            );
          },
        },
      ],
    });
    renameSync(tmp, bundlePath);
  } catch {
    // speed only
  }
}
