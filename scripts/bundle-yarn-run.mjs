// Bundles yarn-run at build time into one CommonJS file,
// dist/src/yarn/cli/yarn-run.cjs, the `yarn-run` command (startup speed, spec
// yarn.md section 3: startup <= 1.2x the reference). Node 20 starts a
// CommonJS entry without its ES module loader: no loader modules, no
// `fs/promises` (which the loader reads files with), no module facades that
// load every lazy part of a built-in (`fs.promises`, `util.MIMEType`, ...).
// That is ~30 built-in modules and ~30 ms of CPU less per run on the project
// VM (bench/RESULTS.md).
//
// The lazily loaded parts (TS step loader, reports, log, lint) are in the same
// file, evaluated only when used. What stays outside: npm packages (esbuild,
// markdown-it: required or imported when used) and the engine's `api.js`,
// which step modules import as an ES module, so it is never bundled: the
// engine only names its path (load-step-modules.ts) and recognises
// `StepFailure` by name (step-executor.ts), so no class needs to exist once.
//
// `dist/src/yarn/cli/main.js` (the per-file ES modules, as tsc writes them)
// stays the entry for coverage and for a tree where only tsc ran: the bundle
// runs main.js instead of itself when main.js is newer than the bundle.
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import esbuild from 'esbuild';

const cli = 'dist/src/yarn/cli';
const outfile = join(cli, 'yarn-run.cjs');

// Outputs of earlier bundles (run-subcommand.bundle.* and its chunks) left in a built tree.
for (const name of readdirSync(cli)) {
  if (name.startsWith('bundle-') || name.startsWith('run-subcommand.bundle.')) rmSync(join(cli, name));
}

// The entry: main.js, unless it is newer than this bundle (then main.js runs as it is).
const entry = `
const { statSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
function stale() {
  try {
    return statSync(join(__dirname, 'main.js')).mtimeMs > statSync(__filename).mtimeMs;
  } catch {
    return false;
  }
}
if (stale()) import(pathToFileURL(join(__dirname, 'main.js')).href);
else import('./main.js');
`;

await esbuild.build({
  stdin: { contents: entry, resolveDir: cli, sourcefile: 'yarn-run-entry.js', loader: 'js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  outfile,
  // A literal `import('./x.js')` is bundled; any other stays a real import() (ES modules).
  supported: { 'dynamic-import': true },
  define: { 'import.meta.url': '__yarn_run_url' },
  banner: {
    js: '#!/usr/bin/env node\nconst __yarn_run_url = require("node:url").pathToFileURL(__filename).href;',
  },
  logLevel: 'warning',
  plugins: [
    {
      name: 'engine-api-stays-outside',
      setup(build) {
        build.onResolve({ filter: /\/api\.js$/ }, (args) => {
          if (args.kind === 'import-statement' || args.kind === 'dynamic-import') {
            throw new Error(
              `${args.importer} imports ${args.path} at run time: step modules import that file, so the bundle must not hold a copy (name its path instead)`,
            );
          }
          return undefined;
        });
      },
    },
  ],
});
chmodSync(outfile, 0o755);
