// Bundles yarn-run's run command at build time and makes its V8 code cache
// (startup speed: spec yarn.md section 3, startup <= 1.2x the reference; see
// src/yarn/cli/run-bundle.ts, which loads both).
//
// The bundle is one CommonJS-style function body (Node 20 keeps no code cache
// for ES modules, but does for a vm.Script). No class exists twice in a
// process: the modules that are also loaded outside the bundle (the entry
// point's own imports, and api.js, which step modules import) stay external
// and are handed in by run-bundle.ts; `import.meta.url` and dynamic imports of
// packages (esbuild for TS steps) go through what run-bundle.ts passes in.
//
// The code cache is made by a warm-up run of a small suite (passing, failing
// and skipped scenarios) in this process, so it holds the functions a run
// calls; V8 rejects it, harmlessly, on another node version.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import esbuild from 'esbuild';

const cli = resolve('dist/src/yarn/cli');
const shared = new Set(
  ['../errors.js', '../api.js', '../../shared/app-error.js', './options.js'].map((p) => resolve(cli, p)),
);
const out = join(cli, 'run-subcommand.bundle.cjs');

for (const name of readdirSync(cli)) {
  if (name.startsWith('bundle-') || name.startsWith('run-subcommand.bundle.')) rmSync(join(cli, name));
}

await esbuild.build({
  entryPoints: [join(cli, 'run-subcommand.js')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  define: { 'import.meta.url': '__bundleUrl' },
  logLevel: 'warning',
  plugins: [
    {
      name: 'shared-modules-stay-external',
      setup(build) {
        build.onResolve({ filter: /^\.\.?\// }, (args) => {
          const path = resolve(dirname(args.importer), args.path);
          if (!shared.has(path)) return undefined;
          const rel = relative(cli, path);
          return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
        });
      },
    },
  ],
});

// A vm.Script has no module loader of its own: its dynamic imports (only of
// packages, node: modules and TS step modules; the bundle's own lazy parts are inlined) go
// through the function run-bundle.ts passes in.
const code = readFileSync(out, 'utf8').replace(/\bimport\(/g, '__dynamicImport(');
const left = code.match(/\bimport\(|\bimport\.meta\b/);
if (left) throw new Error(`bundle-yarn-run: ${out} still uses ${left[0]}`);
writeFileSync(out, code);

// The warm-up run, with the built modules, in a scratch directory; its output is not shown.
const { loadRunBundle, CODE_CACHE } = await import(join(cli, 'run-bundle.js'));
const { parseArgs } = await import(join(cli, 'options.js'));
const loaded = loadRunBundle();
if (!loaded) throw new Error('bundle-yarn-run: the bundle is older than run-bundle.js');
const scratch = mkdtempSync(join(tmpdir(), 'yarn-run-warm-up-'));
const suite = join(scratch, 'warm-up.yarn');
writeFileSync(
  suite,
  [
    'A warm-up suite: its runs make the code cache.',
    '',
    '    SCENARIO passes',
    '    GIVEN a file with "text"',
    '    WHEN the file is read',
    '    THEN the file has text',
    '    FINALLY nothing is left',
    '',
    '    SCENARIO fails',
    '    GIVEN a file with "other"',
    '    THEN the file has text',
    '',
    '    SCENARIO is skipped',
    '    ASSUMING never',
    '    THEN the file has text',
    '',
    '    IMPLEMENTS GIVEN a file with "(.*)"',
    '    printf "%s\\n" "$MATCH_1" > "$DATADIR/file"',
    '    IMPLEMENTS WHEN the file is read',
    '    cat "$DATADIR/file"',
    '    IMPLEMENTS THEN the file has text',
    '    grep -x text "$DATADIR/file"',
    '    IMPLEMENTS FINALLY nothing is left',
    '    rm -f "$DATADIR/file"',
    '    IMPLEMENTS ASSUMING never',
    '    false',
    '',
  ].join('\n'),
);
const cwd = process.cwd();
const writes = [process.stdout.write, process.stderr.write];
try {
  process.chdir(scratch);
  process.stdout.write = process.stderr.write = () => true;
  for (const argv of [['-q', suite], [suite]]) await loaded.exports.runSubcommand(parseArgs(argv));
} finally {
  [process.stdout.write, process.stderr.write] = writes;
  process.chdir(cwd);
  rmSync(scratch, { recursive: true, force: true });
}
writeFileSync(CODE_CACHE, loaded.script.createCachedData());

// A cache V8 would not take is worth nothing: check it as a run would load it.
const check = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { loadRunBundle } from ${JSON.stringify(pathToFileURL(join(cli, 'run-bundle.js')).href)};
     process.exit(loadRunBundle()?.script.cachedDataRejected === false ? 0 : 1);`,
  ],
  { stdio: 'inherit' },
);
if (check.status !== 0) throw new Error('bundle-yarn-run: V8 rejects the code cache it just made');
