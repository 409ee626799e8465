/**
 * A morph command run in the background, in its own process group, for the
 * scenarios that interrupt builds and deployments.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { type StepContext, StepFailure } from '../src/yarn/api.js';
import { morphArgv } from './morph-runner.js';

/** A running background morph; `done` resolves to its exit code. */
export interface BackgroundMorph {
  child: ChildProcess;
  done: Promise<number>;
}

/**
 * Starts `morph ARGS` in `cwd`, in its own process group. When it ends, its
 * output goes to $DATADIR/out-SUBCOMMAND and result-SUBCOMMAND and its exit
 * code to $DATADIR/morph-exit, as for morph commands run in the foreground.
 * The scenario's cleanup kills the group if it is still running.
 */
export async function startBackgroundMorph(
  ctx: StepContext,
  subcommand: string,
  args: string[],
  cwd: string,
): Promise<BackgroundMorph> {
  const argv = await morphArgv(ctx, subcommand, args);
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd,
    env: ctx.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<number>((resolve) => {
    child.on('close', async (code, signal) => {
      await writeFile(ctx.path(`out-${subcommand}`), stdout);
      await writeFile(ctx.path(`result-${subcommand}`), stderr);
      await writeFile(ctx.path('morph-exit'), `${code ?? 128}\n`);
      ctx.log(`background morph ${subcommand} ended: code ${code} signal ${signal}`);
      resolve(code ?? 128);
    });
  });
  ctx.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-(child.pid as number), 'SIGKILL');
      await done;
    }
  });
  return { child, done };
}

/** Waits up to `seconds` for `path` to exist. */
export async function waitForFile(path: string, seconds: number, what: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new StepFailure(`timed out after ${seconds}s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Once `marker` exists, sends SIGINT to the process group (Ctrl-C) or
 * SIGTERM to morph, and waits up to a minute for morph to end.
 */
export async function interruptWhenStarted(
  ctx: StepContext,
  background: BackgroundMorph,
  options: { marker: string; what: string; signal: 'SIGINT' | 'SIGTERM'; subcommand: string },
): Promise<void> {
  await Promise.race([
    waitForFile(options.marker, 300, options.what),
    background.done.then(async () => {
      const output = await readFile(ctx.path(`result-${options.subcommand}`), 'utf8');
      throw new StepFailure(`morph ${options.subcommand} ended early:\n${output}`);
    }),
  ]);
  if (options.signal === 'SIGINT') process.kill(-(background.child.pid as number), 'SIGINT');
  else background.child.kill('SIGTERM');
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new StepFailure('morph did not exit within 60s of the signal')), 60_000),
  );
  await Promise.race([background.done, timeout]);
}
