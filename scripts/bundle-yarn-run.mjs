// Bundles yarn-run's run command at build time (startup speed: one file
// instead of ~30 small ES modules; spec yarn.md section 3, startup <= 1.2x
// the reference). dist/src/yarn/cli/main.js imports the bundle when it is at
// least as new as main.js, else the per-file modules.
//
// No class exists twice in a process: the modules that are also loaded
// outside the bundle (main.js's own imports, and api.js, which step modules
// import) stay external, so the bundle imports those very files; lazily
// loaded parts (TS step loader, reports, log) become chunks of the same
// build, beside the entry so the external paths hold for every output file.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import esbuild from 'esbuild';

const cli = resolve('dist/src/yarn/cli');
const shared = new Set(
  ['../errors.js', '../api.js', '../../shared/app-error.js', './options.js'].map((p) => resolve(cli, p)),
);

for (const name of readdirSync(cli)) {
  if (name.startsWith('bundle-') || name.startsWith('run-subcommand.bundle.')) rmSync(join(cli, name));
}

await esbuild.build({
  entryPoints: { 'run-subcommand.bundle': join(cli, 'run-subcommand.js') },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outdir: cli,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'bundle-[name]-[hash]',
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
