#!/usr/bin/env node
// The `morph` command line: start-up (docs/spec/morph.md 1.3), dispatch, errors and exit codes (1.5).
import { AssertionError } from 'node:assert';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isAppError } from '../../shared/app-error.js';
import { maskArgument, secretMask } from '../../shared/secret-mask.js';
import { closeSpawnHelper, useSpawnHelper } from '../../shared/spawn-helper.js';
import { createApp } from '../app.js';
import { morphVersion } from '../build/assemble/metadata-record.js';
import { countLeftovers, reclaimLeftovers } from '../deploy/leftovers.js';
import { MorphError } from '../errors.js';
import { dumpSettings } from '../settings/dump-settings.js';
import { loadSettings } from '../settings/load-settings.js';
import { type DebugLog, openDebugLog } from '../status/debug-log.js';
import { COMMANDS, loadCommand } from './commands.js';
import { formatCommandHelp, formatGeneralHelp } from './help.js';

/** Exit code after Ctrl-C (docs/spec/morph.md 1.5). */
const INTERRUPTED = 255;

/** Runs one morph invocation and resolves to its exit code (never rejects). */
export async function main(argv: readonly string[]): Promise<number> {
  const interrupt = new AbortController();
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(INTERRUPTED); // a second Ctrl-C does not wait for cleanup
    interrupted = true;
    interrupt.abort(new MorphError('cli', 'interrupted', 'interrupted by signal'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });

  // Secret values from the environment and the command line never reach stdout, stderr or the log.
  secretMask.addSecretsOf(process.env);
  secretMask.addArguments(argv);
  const stdout = (text: string): boolean => process.stdout.write(secretMask.mask(text));
  const stderr = (text: string): boolean => process.stderr.write(secretMask.mask(text));
  let log: DebugLog | undefined;
  // Before config files and start-up checks, whatever else is on the line (docs/spec/morph.md 1.7.2).
  if (asksForVersion(argv)) {
    stdout(`${morphVersion().version}\n`);
    return 0;
  }
  // Hundreds of commands a build: started by a small helper, not by forking this process.
  useSpawnHelper();
  try {
    const cwd = physicalCwd();
    const { settings, positional } = await loadSettings(argv, {
      env: process.env,
      cwd,
      cpus: availableParallelism(),
    });
    if (new Date().getUTCFullYear() < 2012) {
      throw new MorphError('cli', 'clock-in-past', 'clock is far in the past', {
        hint: 'set the system clock to the current date',
      });
    }
    if (process.env.MORPH_DUMP_PROCESSED_CONFIG !== undefined || settings['dump-config']) {
      process.stdout.write(dumpSettings(settings));
      return 0;
    }
    if (settings.help) {
      const command = positional[0] === undefined ? undefined : await loadCommand(positional[0]);
      process.stdout.write(command ? formatCommandHelp(positional[0]!, command) : await formatGeneralHelp());
      return 0;
    }
    createDirectories([
      ...['chunks', 'staging', 'failed', 'deployments'].map((d) => join(settings.tempdir, d)),
      settings.cachedir,
    ]);

    log = openDebugLog(settings.log);
    log.debug(`morph ${argv.map(maskArgument).join(' ')}`);
    const [name, ...args] = positional;
    if (name === undefined) {
      throw new MorphError('cli', 'usage', 'no subcommand given', { hint: 'see morph help' });
    }
    const command = await loadCommand(name);
    if (!command) {
      throw new MorphError('cli', 'unknown-command', `unknown subcommand ${name}`, {
        hint: Object.hasOwn(COMMANDS, name) ? 'this build of morph does not include it' : 'see morph help',
      });
    }
    const app = createApp(
      settings,
      {
        stdout,
        stderr,
        log,
      },
      { cwd, signal: interrupt.signal },
    );
    // What killed morph runs left (mounts, loop devices, temp dirs, partial images) goes first.
    const leftovers = reclaimLeftovers(settings);
    if (countLeftovers(leftovers) > 0) {
      app.status.chatty(`Removed what killed morph runs left: ${JSON.stringify(leftovers)}`);
    }
    await command.run(app, args);
    log.debug('morph finished successfully');
    return interrupted ? INTERRUPTED : 0;
  } catch (err) {
    if (interrupted) {
      log?.debug(`interrupted: ${(err as Error).stack ?? String(err)}`);
      stderr('ERROR: interrupted\n');
      return INTERRUPTED;
    }
    stderr(formatError(err));
    log?.debug(`failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeSpawnHelper();
  }
}

/**
 * The stderr text of a failure: `ERROR: [<file>[:<line>[:<column>]]: ]<message>` (+ `hint:` line),
 * or `BUG:` and a stack for asserts.
 */
export function formatError(err: unknown): string {
  if (isAppError(err)) {
    const message = err instanceof MorphError ? err.locatedMessage : err.message;
    return `ERROR: ${message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`;
  }
  if (err instanceof AssertionError) return `BUG: ${err.stack ?? err.message}\n`;
  const e = err as Error;
  return `ERROR: ${e?.message ?? String(err)}\n${process.env.MORPH_DEBUG ? `${e?.stack ?? ''}\n` : ''}`;
}

function createDirectories(dirs: readonly string[]): void {
  for (const dir of dirs) {
    try {
      makeDirectory(dir);
    } catch (err) {
      throw new MorphError(
        'config',
        'cannot-create-directory',
        `cannot create ${dir}: ${(err as Error).message}`,
        {
          cause: err,
          hint: 'check --tempdir and --cachedir',
        },
      );
    }
  }
}

/** `mkdir -p`, one level at a time (Node's recursive mkdirSync spins forever under /proc). */
function makeDirectory(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirectory(parent);
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

function physicalCwd(): string {
  try {
    return realpathSync(process.cwd());
  } catch (err) {
    throw new MorphError('cli', 'no-cwd', 'the current directory does not exist', { cause: err });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`BUG: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/** True when an option before `--` is `--version` or an abbreviation of it that no other option shares (`--vers`). */
function asksForVersion(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg.length >= '--vers'.length && '--version'.startsWith(arg)) return true;
  }
  return false;
}
