/**
 * How shell steps run: the interface of the two runners and what they share.
 *
 * - `PersistentShell` (persistent-shell.ts): one long-lived `/bin/sh`
 *   (dash/ash) per worker lane, a subshell per step.
 * - `FreshShell` (fresh-shell.ts): the reference's way, `SHELL ARGS SCRIPT`
 *   per step, for shells that are not dash/ash or flags `set` cannot take.
 *
 * Both run the step's processes in a process group that is killed on
 * timeout or interrupt.
 */
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';

export interface ShellStepRequest {
  /** Full script text (libraries + body). */
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * False: the step's outputs are not read when it passes (nothing will
   * show them), only when it fails. Default true.
   */
  readonly passedOutput?: boolean;
  /**
   * False: nothing needs to know when this step ends before its series
   * does (no timeout, live output, report or log). A series of such steps
   * reports its statuses all at its end: one wake-up of the engine per
   * series, not per step. Default true.
   */
  readonly eachStatus?: boolean;
}

export interface ShellStepOutcome {
  /** The shell's exit status; negative for a signal (fresh mode, as the reference prints it). */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  /** How long the step ran, as the runner saw it (undefined: the caller measures). */
  readonly durationMs?: number;
}

/** A series a runner sent ahead (`ShellRunner.prepare`). */
export interface PreparedSeries {
  readonly requests: readonly ShellStepRequest[];
  /** Reports the series to `hooks` (as `runSeries` does) and resolves when it is over. */
  run(hooks: SeriesHooks): Promise<void>;
  /** Gives the series up (it will not be run): stops it if it runs. */
  discard(): Promise<void>;
}

/** Callbacks of a series of steps (see `ShellRunner.runSeries`). */
export interface SeriesHooks {
  /** Step `index` starts; returns its timeout in ms (undefined: none). */
  started(index: number): number | undefined;
  /** Step `index` ended with `outcome`. */
  finished(index: number, outcome: ShellStepOutcome): void;
}

export interface ShellRunner {
  run(request: ShellStepRequest): Promise<ShellStepOutcome>;
  /**
   * Runs `requests` in order until one does not pass (non-zero status, timed
   * out or interrupted), telling `hooks` as each starts and ends; the
   * requests' own `timeoutMs` are ignored in favour of `hooks.started`'s.
   */
  runSeries(requests: readonly ShellStepRequest[], hooks: SeriesHooks): Promise<void>;
  /**
   * Sends `requests` ahead, to run as soon as what runs now ends; undefined
   * when this runner cannot (the caller then runs them with `runSeries`).
   */
  prepare?(requests: readonly ShellStepRequest[]): PreparedSeries | undefined;
  /** Kills whatever the steps left running, stops the shell and waits until it is reaped. */
  close(): Promise<void>;
}

/** The step passed: status 0, neither timed out nor interrupted. */
export function passed(outcome: ShellStepOutcome): boolean {
  return outcome.exitCode === 0 && !outcome.timedOut && !outcome.interrupted;
}

/** `runSeries` for runners that run one step at a time. */
export async function runOneByOne(
  runner: ShellRunner,
  requests: readonly ShellStepRequest[],
  hooks: SeriesHooks,
): Promise<void> {
  for (let i = 0; i < requests.length; i++) {
    const timeoutMs = hooks.started(i);
    const outcome = await runner.run({ ...requests[i]!, timeoutMs });
    hooks.finished(i, outcome);
    if (!passed(outcome)) return;
  }
}

/** Kills the process group `pid` leads (nothing when it is gone or undefined). */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const SET_FLAG = /^[-+][abCefhmnuvx]+$/;

/** True when the persistent-shell mode can reproduce `SHELL ARGS FILE` for these settings. */
export function canPersist(shell: string, args: readonly string[]): boolean {
  if (!args.every((a) => SET_FLAG.test(a))) return false;
  let real: string;
  try {
    real = basename(realpathSync(shell));
  } catch {
    return false;
  }
  return real === 'dash' || real === 'ash' || real === 'busybox';
}
