/**
 * Runs `morph` the way the 2015 suites did (docs/spec/morph.md 1.1): fixed global
 * options, `$DATADIR/morph.conf`, a log per subcommand, stdout in
 * `$DATADIR/out-<subcommand>`, stderr in `$DATADIR/result-<subcommand>`, and
 * for attempts the exit code in `$DATADIR/morph-exit`.
 */
import { access, constants, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunResult, type StepContext, StepFailure } from '../src/yarn/api.js';
import { describeFailure, getVar, varKey } from './context.js';

/** Variables a scenario adds to morph's own environment ("morph's environment has K=V"). */
export const morphEnvVar = varKey<Record<string, string>>('morph-env');

/** How a morph run's outcome is treated. */
export type MorphMode = 'run' | 'attempt';

/**
 * The command that starts morph: `$SRCDIR/morph` (the wrapper script) when it
 * exists, else the compiled entry point run by this node.
 */
export async function morphCommand(ctx: StepContext): Promise<string[]> {
  const wrapper = join(ctx.srcdir, 'morph');
  try {
    await access(wrapper, constants.X_OK);
    return [wrapper];
  } catch {
    return [process.execPath, join(ctx.srcdir, 'dist/src/morph/cli/main.js')];
  }
}

/**
 * Runs `morph <subcommand> <args>` in `cwd` (default: `$DATADIR`).
 * `run`: fails the step on a non-zero exit, showing the outputs.
 * `attempt`: records the exit code in `$DATADIR/morph-exit` and never fails.
 */
export async function runMorph(
  ctx: StepContext,
  mode: MorphMode,
  subcommand: string,
  args: string[],
  cwd: string = ctx.datadir,
): Promise<RunResult> {
  const argv = await morphArgv(ctx, subcommand, [subcommand, ...args]);
  const result = await ctx.run(argv, { cwd, env: getVar(ctx, morphEnvVar) ?? {} });
  await writeFile(ctx.path(`out-${subcommand}`), result.stdout);
  await writeFile(ctx.path(`result-${subcommand}`), result.stderr);
  if (mode === 'attempt') {
    await writeFile(ctx.path('morph-exit'), `${result.exitCode}\n`);
    ctx.log(`morph ${subcommand} exited with ${result.exitCode}`);
  } else if (result.exitCode !== 0) {
    throw new StepFailure(describeFailure(result));
  }
  return result;
}

/**
 * The full morph argv of docs/spec/morph.md 1.1: the fixed global options, the
 * scenario's `morph.conf` and `--log=$DATADIR/log-<logName>`, then `args`.
 */
export async function morphArgv(ctx: StepContext, logName: string, args: string[]): Promise<string[]> {
  return [
    ...(await morphCommand(ctx)),
    '--verbose',
    '--cachedir-min-space=0',
    '--tempdir-min-space=0',
    '--no-default-config',
    '--config',
    ctx.path('morph.conf'),
    `--log=${ctx.path(`log-${logName}`)}`,
    ...args,
  ];
}

/** `attempts to X` → 'attempt', `Xs` → 'run'. */
export function morphMode(attemptsPhrase: string): MorphMode {
  return attemptsPhrase.startsWith('attempt') ? 'attempt' : 'run';
}

/** Writes `$DATADIR/morph.conf` exactly as the suites do (docs/spec/morph.md 2.1). */
export async function writeMorphConfig(ctx: StepContext, gitPort: number): Promise<void> {
  const url = `git://127.0.0.1:${gitPort}/%s`;
  await writeFile(
    ctx.path('morph.conf'),
    [
      '[config]',
      `repo-alias = test=${url}#${url}`,
      `cachedir = ${ctx.path('cache')}`,
      `tempdir = ${ctx.path('tmp')}`,
      'trove-host= []',
      '',
    ].join('\n'),
  );
}

/** Path of a workspace checkout of the definitions repo `test:morphs` in `branch`. */
export function definitionsCheckout(ctx: StepContext, branch: string): string {
  return ctx.path('workspace', branch, 'test', 'morphs');
}
