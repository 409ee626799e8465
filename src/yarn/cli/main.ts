#!/usr/bin/env node
/**
 * yarn-run's entry point: argv → options → parse, bind, run, report. The
 * only module that prints and sets exit codes: 0 pass, 1 failures and input
 * errors, 2 usage errors, 255 Ctrl-C, 143 SIGTERM.
 */
import { isAppError } from '../../shared/app-error.js';
import type { YarnError } from '../errors.js';
import { dumpConfig, helpText, parseArgs } from './options.js';

const VERSION = '0.1.0';

function writeErr(text: string): void {
  process.stderr.write(text);
}

/** Prints an error the house way: `ERROR: message (at file:line)`, details, hint; stack only with --debug. */
export function reportError(err: unknown, debug: boolean): number {
  if (isAppError(err)) {
    const location = (err as Partial<YarnError>).location;
    const loc = location ? ` (at ${location})` : '';
    writeErr(`ERROR: ${err.message}${loc}\n`);
    const details = (err as Partial<YarnError>).details;
    if (Array.isArray(details)) for (const line of details) writeErr(`${line}\n`);
    if (err.hint) writeErr(`hint: ${err.hint}\n`);
    if (debug && err.stack) writeErr(`${err.stack}\n`);
    if (debug && err.cause instanceof Error && err.cause.stack) writeErr(`caused by: ${err.cause.stack}\n`);
    return err.code === 'USAGE' ? 2 : 1;
  }
  const e = err as Error;
  writeErr(`BUG: ${e?.stack ?? String(err)}\n`);
  return 1;
}

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    if (argv[0] === 'lint') {
      const { runLint } = await import('./lint-command.js');
      return await runLint(argv.slice(1));
    }
    const args = parseArgs(argv);
    if (args.bools.listConfigFiles) {
      const home = process.env.HOME ?? '~';
      process.stdout.write(`/etc/yarn.conf\n/etc/yarn.yaml\n${home}/.yarn.conf\n${home}/.yarn.yaml\n`);
      return 0;
    }
    if (args.bools.dumpConfig) {
      process.stdout.write(dumpConfig(args));
      return 0;
    }
    if (args.bools.help || args.bools.helpAll) {
      process.stdout.write(helpText());
      return 0;
    }
    if (args.bools.version) {
      process.stdout.write(`yarn-run ${VERSION} (cmdtest yarn 0.32+git compatible)\n`);
      return 0;
    }
    // Loaded only for a run (a literal path: the yarn-run.cjs bundle holds it, scripts/bundle-yarn-run.mjs).
    const { runSubcommand } = await import('./run-subcommand.js');
    return await runSubcommand(args);
  } catch (err) {
    return reportError(err, debug);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout/stderr drain, then leave even if a step module left handles open.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  },
  (err) => {
    writeErr(`BUG: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
