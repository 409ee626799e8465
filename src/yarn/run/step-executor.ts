/**
 * Runs the steps of one scenario: shell steps in the lane's shell (the
 * consecutive shell steps of a phase as one series, so the shell starts the
 * next step without waiting for this process), TypeScript steps in-process
 * with their timeout and abort, and `ctx.step` calls. Records a result per
 * step and emits the step events; the scenario run (`run-scenario.ts`)
 * decides which phases run.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { YarnError } from '../errors.js';
import type { Implementation, MatchedScenario, MatchedStep, Step, StepResult, StepStatus } from '../model.js';
import { capText } from './capped-output.js';
import { scenarioEnv, stepEnv } from './clean-env.js';
import { niceName } from './nice-name.js';
import { seriesEnd } from './scenario-phases.js';
import type { ScenarioRun, ScenarioSettings } from './scenario-run.js';
import type { PreparedSeries, SeriesHooks, ShellStepOutcome, ShellStepRequest } from './shell-runner.js';
import { StepAborts } from './step-aborts.js';
import { ScenarioContext } from './step-context.js';
import { formatStepError } from './step-error.js';

/** Where one scenario's steps run. */
export interface StepPlace {
  readonly datadir: string;
  /** Where `--snapshot` copies go. */
  readonly scenarioDir: string;
  /** The scenario's clean environment (without MATCH_n). */
  readonly env: Readonly<Record<string, string>>;
  /** The steps' working directory. */
  readonly cwd: string;
  /** `Date.now()` at which the scenario times out (Infinity: never). */
  readonly deadline: number;
}

/** Where the steps of the scenario with `datadir` run: its clean environment and working directory. */
export function stepPlaceOf(settings: ScenarioSettings, datadir: string): Pick<StepPlace, 'env' | 'cwd'> {
  return { env: scenarioEnv(settings.env, datadir), cwd: settings.cdDatadir ? datadir : settings.env.srcdir };
}

/** A step's shell request: the run's libraries and the body, the scenario's environment and MATCH_n. */
export function shellRequest(
  settings: ScenarioSettings,
  place: Pick<StepPlace, 'env' | 'cwd'>,
  body: string,
  captures: readonly string[],
  signal: AbortSignal,
): ShellStepRequest {
  return {
    script: settings.shellPrelude + body,
    env: stepEnv(place.env, captures),
    cwd: place.cwd,
    signal,
    passedOutput: settings.passedStepOutput,
    eachStatus: !settings.unwatchedSteps,
  };
}

/** The requests of a series of shell steps (a step of another kind gets an empty body). */
export function seriesRequests(
  settings: ScenarioSettings,
  place: Pick<StepPlace, 'env' | 'cwd'>,
  steps: readonly MatchedStep[],
  signal: AbortSignal,
): ShellStepRequest[] {
  return steps.map((ms) =>
    shellRequest(
      settings,
      place,
      ms.implementation.type === 'shell' ? ms.implementation.body : '',
      ms.captures,
      signal,
    ),
  );
}

/** A scenario's first series of shell steps, sent to the lane's shell before the scenario began. */
export interface SeriesAhead {
  readonly steps: readonly MatchedStep[];
  readonly series: PreparedSeries;
}

/** How a phase ended. */
export interface PhaseOutcome {
  /** The step that did not pass (the phase stopped there). */
  readonly failed?: StepResult;
  /** The phase stopped before a step because of an interrupt. */
  readonly interrupted?: boolean;
}

/** The engine's api.js, which step modules import (import.meta.url: this file, or the bundle). */
const ENGINE_API = new URL('../api.js', import.meta.url).href;

/** yarn-run's own compiled modules (dist/src/yarn), whose frames a step's stack leaves out. */
const ENGINE_DIR = `${dirname(dirname(fileURLToPath(import.meta.url)))}/`;

/**
 * True for a `StepFailure` (api.ts) or an instance of a subclass. By name:
 * step modules import the engine's `api.js` as an ES module, while the engine
 * may run as the yarn-run.cjs bundle, which holds no copy of it.
 */
function isStepFailure(err: Error): boolean {
  for (let p: object | null = err; p !== null; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === 'StepFailure') return true;
  }
  return false;
}

function errorText(err: unknown, debug: boolean, srcdir: string): string {
  if (err instanceof Error) {
    if (debug) return err.stack ?? `${err.name}: ${err.message}`;
    if (isStepFailure(err)) return err.message;
    if (err instanceof YarnError) return err.location ? `${err.message} (at ${err.location})` : err.message;
  }
  return formatStepError(err, srcdir, ENGINE_DIR);
}

function timeoutText(timeoutMs: number | undefined): string {
  return `timed out after ${((timeoutMs ?? 0) / 1000).toFixed(1)} s`;
}

/** Runs one scenario's steps (see the module comment). */
export class StepExecutor {
  /** Every step run so far, in order. */
  readonly results: StepResult[] = [];
  /** A step timed out because the scenario's deadline came. */
  scenarioTimedOut = false;
  /** The TypeScript steps' context. */
  readonly ctx: ScenarioContext;
  private readonly aborts: StepAborts;
  private snapshotNumber = 0;

  /** `ahead`: the scenario's first series, already sent to the shell (used by the first `runPhase` that runs those steps). */
  constructor(
    private readonly matched: MatchedScenario,
    private readonly run: ScenarioRun,
    private readonly place: StepPlace,
    private ahead?: SeriesAhead,
  ) {
    this.ctx = new ScenarioContext(
      matched.scenario.name,
      place.datadir,
      run.settings.env.srcdir,
      place.env,
      (text, from) => this.callStep(text, from),
      run.lane.worker,
    );
    this.aborts = new StepAborts(run.interrupt, run.hardInterrupt);
  }

  /**
   * Runs `steps` until one does not pass. `honourDeadline` is false for
   * FINALLY steps (they run after a timeout and stop only at the hard
   * interrupt); `stopWhenInterrupted` checks the interrupt before each step.
   * `afterLastSend` is called once the phase's last series is in the shell
   * (the run then sends the next scenario's first series behind it).
   */
  async runPhase(
    steps: readonly MatchedStep[],
    honourDeadline: boolean,
    stopWhenInterrupted: boolean,
    afterLastSend?: () => void,
  ): Promise<PhaseOutcome> {
    const signal = honourDeadline ? this.run.interrupt : this.run.hardInterrupt;
    let i = 0;
    while (i < steps.length) {
      if (stopWhenInterrupted && this.run.interrupt.aborted) return { interrupted: true };
      const first = steps[i]!;
      let end = i + 1;
      let failed: StepResult | undefined;
      if (first.implementation.type === 'shell') {
        end = seriesEnd(steps, i, this.run.settings.snapshot);
        failed = await this.runShellSeries(
          steps.slice(i, end),
          honourDeadline,
          signal,
          end === steps.length ? afterLastSend : undefined,
        );
      } else {
        const result = await this.runTsStep(first, first.implementation, honourDeadline, signal);
        if (result.status !== 'passed') failed = result;
      }
      if (failed) return { failed };
      i = end;
    }
    return {};
  }

  /** Stops listening for interrupts (after the scenario's last step). */
  dispose(): void {
    this.aborts.dispose();
  }

  private stepTimeout(ms: MatchedStep, honourDeadline: boolean): number | undefined {
    const settings = this.run.settings;
    let t =
      ms.implementation.type === 'ts'
        ? (ms.implementation.impl.timeoutMs ?? settings.stepTimeoutMs)
        : settings.stepTimeoutMs;
    if (honourDeadline && Number.isFinite(this.place.deadline)) {
      const left = Math.max(1, this.place.deadline - Date.now());
      t = t === undefined ? left : Math.min(t, left);
    }
    return t;
  }

  /** The series sent ahead when it holds exactly `steps` (it is then used up). */
  private takeAhead(steps: readonly MatchedStep[]): PreparedSeries | undefined {
    const ahead = this.ahead;
    if (!ahead || ahead.steps.length !== steps.length || !ahead.steps.every((s, k) => s === steps[k])) {
      return undefined;
    }
    this.ahead = undefined;
    return ahead.series;
  }

  private async runShellSeries(
    steps: readonly MatchedStep[],
    honourDeadline: boolean,
    signal: AbortSignal,
    afterSend: (() => void) | undefined,
  ): Promise<StepResult | undefined> {
    const started: number[] = [];
    const timeouts: (number | undefined)[] = [];
    let failed: StepResult | undefined;
    const hooks: SeriesHooks = {
      started: (k) => {
        const ms = steps[k]!;
        this.run.emit({ type: 'step-started', scenario: this.matched, step: ms });
        started[k] = performance.now();
        timeouts[k] = this.stepTimeout(ms, honourDeadline);
        return timeouts[k];
      },
      finished: (k, r: ShellStepOutcome) => {
        const status: StepStatus =
          r.exitCode === 0 && !r.timedOut && !r.interrupted ? 'passed' : r.timedOut ? 'timed-out' : 'failed';
        let error: string | undefined;
        if (r.timedOut) error = timeoutText(timeouts[k]);
        if (r.interrupted) error = 'interrupted';
        const result = this.record(
          steps[k]!,
          honourDeadline,
          started[k]!,
          { status, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, error },
          r.durationMs,
        );
        if (status !== 'passed') failed = result;
      },
    };
    const ahead = this.takeAhead(steps);
    const done = ahead
      ? ahead.run(hooks)
      : this.run.lane.shell.runSeries(seriesRequests(this.run.settings, this.place, steps, signal), hooks);
    // The series is in the shell now (runSeries writes before its first await).
    afterSend?.();
    await done;
    return failed;
  }

  private async runTsStep(
    ms: MatchedStep,
    impl: Implementation & { type: 'ts' },
    honourDeadline: boolean,
    signal: AbortSignal,
  ): Promise<StepResult> {
    this.run.emit({ type: 'step-started', scenario: this.matched, step: ms });
    const t0 = performance.now();
    const timeoutMs = this.stepTimeout(ms, honourDeadline);
    const ac = this.aborts.current(signal);
    this.ctx.beginStep(ac.controller.signal);
    let timedOut = false;
    const timer =
      timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            ac.controller.abort(new Error('timed out'));
          }, timeoutMs)
        : undefined;
    let status: StepStatus = 'passed';
    let error: string | undefined;
    try {
      const fn = await this.run.settings.loadTsStep(impl);
      if (ac.controller.signal.aborted) throw ac.controller.signal.reason;
      const returned = fn(this.ctx, ...ms.captures);
      // Synchronous steps need no race (and no microtask hop).
      if (returned && typeof (returned as Promise<void>).then === 'function') {
        await Promise.race([returned, ac.aborted]);
      }
    } catch (err) {
      status = timedOut ? 'timed-out' : 'failed';
      error = timedOut
        ? timeoutText(timeoutMs)
        : ac.controller.signal.aborted
          ? 'interrupted'
          : errorText(err, this.run.settings.debug, this.run.settings.env.srcdir);
      if (ac.controller.signal.aborted) {
        this.ctx.killStep();
        this.aborts.reset();
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
    const out = this.ctx.takeOutput();
    return this.record(ms, honourDeadline, t0, {
      status,
      exitCode: status === 'passed' ? 0 : 1,
      stdout: capText(out.stdout),
      stderr: capText(out.stderr),
      error,
    });
  }

  /** Stores and announces a step's result (and takes the `--snapshot` copy). */
  private record(
    ms: MatchedStep,
    honourDeadline: boolean,
    t0: number,
    outcome: Pick<StepResult, 'status' | 'exitCode' | 'stdout' | 'stderr' | 'error'>,
    durationMs = performance.now() - t0,
  ): StepResult {
    const result: StepResult = { step: ms.step, implementation: ms.implementation, ...outcome, durationMs };
    this.results.push(result);
    if (result.status === 'timed-out' && honourDeadline && Date.now() >= this.place.deadline - 1) {
      this.scenarioTimedOut = true;
    }
    this.run.emit({ type: 'step-finished', scenario: this.matched, result });
    if (this.run.settings.snapshot) {
      this.snapshotNumber++;
      const name = `${String(this.snapshotNumber).padStart(3, '0')}-${ms.step.kind}-${niceName(ms.step.text)}`;
      spawnSync('cp', ['-ax', this.place.datadir, join(this.place.scenarioDir, name)]);
    }
    return result;
  }

  /** `ctx.step(text)`: binds `text` and runs it inside the calling step. */
  private async callStep(text: string, from: ScenarioContext): Promise<void> {
    const scenario = this.matched.scenario;
    const words = text.trim().split(/\s+/);
    const step: Step = {
      kind: (words[0] ?? '') as Step['kind'],
      text: words.slice(1).join(' '),
      location: scenario.location,
    };
    let bound: MatchedStep;
    try {
      bound = this.run.settings.bindStep(scenario.name, step);
    } catch (err) {
      throw new YarnError('STEP_CALL', `ctx.step("${text}"): ${(err as Error).message}`, { cause: err });
    }
    if (bound.implementation.type === 'shell') {
      const r = await this.run.lane.shell.run({
        ...shellRequest(
          this.run.settings,
          this.place,
          bound.implementation.body,
          bound.captures,
          from.signal,
        ),
        // The calling step's output holds it.
        passedOutput: true,
        eachStatus: true,
      });
      from.appendOutput(r.stdout, r.stderr);
      if (r.exitCode !== 0) {
        // The StepFailure of the api.js that step modules import (the engine holds no copy of it).
        const { StepFailure } = (await import(ENGINE_API)) as typeof import('../api.js');
        throw new StepFailure(`step "${text}" failed with exit code ${r.exitCode}`);
      }
    } else {
      const fn = await this.run.settings.loadTsStep(bound.implementation);
      await fn(from, ...bound.captures);
    }
  }
}
