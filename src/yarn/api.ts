/**
 * The public API for TypeScript step implementations: the only module that
 * files under `implementations/` (or any user's step library) import.
 *
 * A step module default-exports (or exports as `steps`) an array of
 * `StepImpl` values made with `step()`, and `SuiteHook` values made with
 * `beforeAll()`/`afterAll()` if it needs them. Nothing is registered globally.
 *
 *     import { step } from '../src/yarn/api.js';
 *     export default [
 *       step('GIVEN', /a file called (\S+)/, 'creates an empty file', async (ctx, name) => {
 *         await writeFile(ctx.path(name), '');
 *       }),
 *     ];
 *
 * Matching follows the reference engine (cmdtest yarn): case-insensitive,
 * anchored at the start of the step text, and the match must end exactly at
 * the end of the text (not a full match: for `a|ab` the first alternative
 * wins). A pattern's own flags other than `i`, `s`, `m`, `u` are ignored.
 */

/** The keywords a step can have once `AND` and `...` are resolved. */
export type StepKind = 'ASSUMING' | 'GIVEN' | 'WHEN' | 'THEN' | 'FINALLY';

/** The outcome of a command run through `StepContext.run`. */
export interface RunResult {
  /** argv as run (for messages). */
  command: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working directory; default: the scenario's data directory. */
  cwd?: string;
  /** Extra environment on top of `ctx.env`. */
  env?: Record<string, string>;
  /** Data written to stdin (default: empty, closed at once). */
  input?: string;
}

/**
 * What a step sees: one context per scenario, shared by all its steps.
 * Everything a step creates belongs under `datadir`.
 */
export interface StepContext {
  /** Name of the running scenario. */
  readonly scenario: string;
  /** `$DATADIR`: the scenario's private directory (fresh for each scenario). */
  readonly datadir: string;
  /** `$SRCDIR`: the directory yarn-run was started in. */
  readonly srcdir: string;
  /** `$HOME` for the scenario: `$DATADIR/HOME`. */
  readonly home: string;
  /**
   * The clean environment shell steps get (PATH, DATADIR, SRCDIR, HOME,
   * LC_ALL=C, USER=tomjon, ... and every `--env`). Commands run with `run`
   * get exactly this plus `RunOptions.env`.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Values shared between the steps of one scenario. */
  readonly vars: Map<string, unknown>;
  /** Aborted when the step times out or the run is interrupted. */
  readonly signal: AbortSignal;
  /** `path.join(datadir, ...parts)`. */
  path(...parts: string[]): string;
  /**
   * Runs a command (argv, no shell) in its own process group, never throwing
   * on a non-zero exit; the result is also kept as `lastRun`. The group is
   * killed if the step times out or the scenario ends.
   */
  run(argv: string[], options?: RunOptions): Promise<RunResult>;
  /** Runs `sh -c script` with `run`'s rules. */
  sh(script: string, options?: RunOptions): Promise<RunResult>;
  /** The result of the last `run`/`sh` of this scenario. */
  readonly lastRun: RunResult | undefined;
  /**
   * Registers a cleanup that runs after the scenario's FINALLY steps, in
   * reverse order of registration, whatever happened (failure, timeout,
   * Ctrl-C). Use it for servers, mounts and loop devices.
   */
  defer(cleanup: () => void | Promise<void>): void;
  /** Adds a line to the step's captured output (shown on failure / in logs). */
  log(message: string): void;
  /** Runs another step by its text, as if it were written in the scenario (e.g. `ctx.step('GIVEN a file')`). */
  step(text: string): Promise<void>;
  /** The worker running this scenario: what its `beforeAll` hooks set up (`ctx.worker.vars`). */
  readonly worker: WorkerContext;
}

/**
 * What suite hooks see: one per worker (a lane of `-j`), shared by every
 * scenario that worker runs, so an expensive fixture (a git server) is
 * started once per worker instead of once per scenario.
 */
export interface WorkerContext {
  /** 0 for the first worker, 1 for the second, ... */
  readonly id: number;
  /** A private directory for this worker, removed after its `afterAll` hooks and cleanups. */
  readonly dir: string;
  /** `$SRCDIR`: the directory yarn-run was started in. */
  readonly srcdir: string;
  /** Values shared between the hooks and every scenario of this worker. */
  readonly vars: Map<string, unknown>;
  /** Aborted when the run is interrupted (Ctrl-C, SIGTERM). */
  readonly signal: AbortSignal;
  /**
   * Registers a cleanup that runs after the worker's `afterAll` hooks, newest
   * first, whatever happened (failures, Ctrl-C).
   */
  defer(cleanup: () => void | Promise<void>): void;
}

/** A suite hook's function. */
export type HookFunction = (worker: WorkerContext) => void | Promise<void>;

/** A `beforeAll` or `afterAll` hook, exported from a step module beside its steps. */
export interface SuiteHook {
  readonly hook: 'beforeAll' | 'afterAll';
  readonly run: HookFunction;
  /** `file:line` of the declaration. */
  readonly location: string;
}

/**
 * Runs `fn` once per worker, before the first scenario it runs. A failing
 * `beforeAll` stops the run (the `afterAll` hooks and cleanups still run).
 */
export function beforeAll(fn: HookFunction): SuiteHook {
  return { hook: 'beforeAll', run: fn, location: callerLocation() };
}

/** Runs `fn` once per worker after its last scenario, also after failures and on Ctrl-C. */
export function afterAll(fn: HookFunction): SuiteHook {
  return { hook: 'afterAll', run: fn, location: callerLocation() };
}

/** A step's function: the captures come in order, unmatched groups as ''. */
export type StepFunction = (ctx: StepContext, ...captures: string[]) => void | Promise<void>;

/** A TypeScript step implementation (the counterpart of a shell IMPLEMENTS). */
export interface StepImpl {
  readonly kinds: readonly StepKind[];
  readonly pattern: RegExp;
  /** One line saying what the step does (used by `yarn-run docs`, `--list`, snippets). */
  readonly doc: string;
  readonly run: StepFunction;
  /** Per-step timeout in milliseconds (default: the run's `--step-timeout`). */
  readonly timeoutMs?: number;
  /** `file:line` of the declaration, filled in by `step()` from the call stack. */
  readonly location: string;
}

/** Thrown by a step (or helpers) to fail it with a clear message and no stack trace. */
export class StepFailure extends Error {
  override name = 'StepFailure';
}

/** Fails the running step unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailure(message);
}

/**
 * Declares a step implementation for one keyword or several
 * (`step(['GIVEN', 'WHEN'], ...)`).
 */
export function step(
  kind: StepKind | readonly StepKind[],
  pattern: RegExp,
  doc: string,
  run: StepFunction,
  options: { timeoutMs?: number } = {},
): StepImpl {
  const kinds = typeof kind === 'string' ? [kind] : [...kind];
  return { kinds, pattern, doc, run, timeoutMs: options.timeoutMs, location: callerLocation() };
}

function callerLocation(): string {
  const lines = new Error().stack?.split('\n') ?? [];
  // [0] "Error", [1] callerLocation, [2] step/beforeAll/afterAll, [3] the declaring module.
  const frame = lines[3] ?? '';
  const match = /\(?((?:file:\/\/)?[^()\s]+):(\d+):\d+\)?$/.exec(frame.trim());
  if (!match) return '<unknown>';
  return `${match[1]!.replace(/^file:\/\//, '')}:${match[2]}`;
}
