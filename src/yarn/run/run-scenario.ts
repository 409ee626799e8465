/**
 * Runs one bound scenario the reference's way: fresh data dir, ASSUMING steps
 * first (a failure skips the scenario, FINALLY not run), then the other steps
 * until one fails, then FINALLY steps (the first failing one fails the
 * scenario), then `ctx.defer` cleanups (always). Timeouts and interrupts kill
 * the step's processes; FINALLY and cleanups still run afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rm, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StepFunction, WorkerContext } from '../api.js';
import { bindStep } from '../bind/bind-scenarios.js';
import type { StepRegistry } from '../bind/step-registry.js';
import { YarnError } from '../errors.js';
import type {
  Implementation,
  MatchedScenario,
  MatchedStep,
  RunEvent,
  ScenarioResult,
  Step,
  StepResult,
  StepStatus,
} from '../model.js';
import { capText } from './capped-output.js';
import { type EnvSettings, scenarioEnv, stepEnv } from './clean-env.js';
import { niceName } from './nice-name.js';
import { removeEmptyLayout } from './scenario-dirs.js';
import type { ShellRunner } from './shell-runner.js';
import { StepAborts } from './step-aborts.js';
import { ScenarioContext } from './step-context.js';
import { formatStepError } from './step-error.js';

/** Settings shared by all scenarios of a run. */
export interface ScenarioSettings {
  readonly env: EnvSettings;
  /** `# Loaded from FILE\n\nTEXT\n\n` for every --shell-library. */
  readonly shellPrelude: string;
  readonly cdDatadir: boolean;
  readonly requireAssumptions: boolean;
  readonly dryRun: boolean;
  readonly stepTimeoutMs?: number;
  readonly scenarioTimeoutMs?: number;
  readonly snapshot: boolean;
  /** --tempdir (absolute); shared by all scenarios and wiped after each (reference behaviour). */
  readonly tempdir?: string;
  /** Parent of per-scenario temp roots when no --tempdir. */
  readonly tempRoot: string;
  /** True when scenario dirs go straight under `tempRoot` (their nice names are all different). */
  readonly sharedTempRoot?: boolean;
  /** More than one lane runs scenarios at once. */
  readonly parallel?: boolean;
  /** 1 for the first run of a scenario, 2 for its first retry (`--retry`), ... */
  readonly attempt?: number;
  readonly keepFailed: boolean;
  readonly debug: boolean;
  readonly registry: StepRegistry;
  /** Loads a TS step function on first use (modules are imported lazily). */
  readonly loadTsStep: (impl: Implementation & { type: 'ts' }) => Promise<StepFunction>;
  /** Deletions still running in the background; awaited at the end of the run. */
  readonly pendingDeletes: Promise<unknown>[];
}

/** What a lane provides to the scenarios it runs. */
export interface Lane {
  readonly shell: ShellRunner;
  /** The worker's context (its hooks' vars), shared by the lane's scenarios. */
  readonly worker: WorkerContext;
}

type Emit = (event: RunEvent) => void;

interface StepRun {
  readonly result: StepResult;
}

/** yarn-run's own compiled modules (dist/src/yarn), whose frames a step's stack leaves out. */
const ENGINE_DIR = `${dirname(dirname(fileURLToPath(import.meta.url)))}/`;

function errorText(err: unknown, debug: boolean, srcdir: string): string {
  if (err instanceof Error) {
    if (debug) return err.stack ?? `${err.name}: ${err.message}`;
    // Compare by name: a bundled step module has its own copy of api.ts.
    if (err.name === 'StepFailure') return err.message;
    // A user-facing error (possibly from a separately loaded copy of errors.ts).
    if (err.name === 'YarnError') {
      const location = (err as { location?: string }).location;
      return location ? `${err.message} (at ${location})` : err.message;
    }
  }
  return formatStepError(err, srcdir, ENGINE_DIR);
}

/** Runs `matched` in `lane`. Never throws for step failures (they are results). */
export async function runScenario(
  matched: MatchedScenario,
  lane: Lane,
  settings: ScenarioSettings,
  emit: Emit,
  interrupt: AbortSignal,
  hardInterrupt: AbortSignal = interrupt,
): Promise<ScenarioResult> {
  const started = performance.now();
  const scenario = matched.scenario;
  if (settings.dryRun) {
    emit({ type: 'scenario-started', scenario: matched });
    const result: ScenarioResult = {
      scenario,
      index: matched.index,
      status: 'passed',
      steps: [],
      durationMs: performance.now() - started,
    };
    emit({ type: 'scenario-finished', scenario: matched, result });
    return result;
  }

  let temp: string;
  if (settings.tempdir) {
    temp = settings.tempdir;
    mkdirSync(temp, { recursive: true });
  } else if (settings.sharedTempRoot && (settings.attempt ?? 1) === 1) {
    // Nice names are unique in this run: TEMP/<nice>/datadir directly under the run root.
    temp = settings.tempRoot;
  } else {
    // A retry gets its own directory: the failed attempt's may still be being deleted (or kept).
    const attempt = settings.attempt ?? 1;
    temp = join(settings.tempRoot, attempt > 1 ? `${matched.index}.${attempt}` : String(matched.index));
    mkdirSync(temp);
  }
  const scenarioDir = join(temp, niceName(scenario.name));
  const datadir = join(scenarioDir, 'datadir');
  try {
    mkdirSync(scenarioDir);
  } catch (err) {
    // The reference announces the scenario, then crashes on the existing directory.
    emit({ type: 'scenario-started', scenario: matched });
    throw new YarnError('TEMP_DIR', `[Errno 17] File exists: '${scenarioDir}'`, {
      location: `${scenario.location.file}:${scenario.location.line}`,
      cause: err,
    });
  }
  mkdirSync(datadir);
  mkdirSync(join(datadir, 'HOME'));
  emit({ type: 'scenario-started', scenario: matched, datadir });

  const baseEnv = scenarioEnv(settings.env, datadir);
  const cwd = settings.cdDatadir ? datadir : settings.env.srcdir;
  const deadline =
    settings.scenarioTimeoutMs !== undefined
      ? Date.now() + settings.scenarioTimeoutMs
      : Number.POSITIVE_INFINITY;
  let scenarioTimedOut = false;
  let snapshotNumber = 0;
  const results: StepResult[] = [];

  const runShell = async (
    body: string,
    captures: readonly string[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean; interrupted: boolean }> =>
    lane.shell.run({
      script: settings.shellPrelude + body,
      env: stepEnv(baseEnv, captures),
      cwd,
      timeoutMs,
      signal,
    });

  const callStep = async (text: string, from: ScenarioContext): Promise<void> => {
    const words = text.trim().split(/\s+/);
    const kind = words[0] ?? '';
    const step: Step = {
      kind: kind as Step['kind'],
      text: words.slice(1).join(' '),
      location: scenario.location,
    };
    let bound: MatchedStep;
    try {
      bound = bindStep(scenario.name, step, settings.registry);
    } catch (err) {
      throw new YarnError('STEP_CALL', `ctx.step("${text}"): ${(err as Error).message}`, { cause: err });
    }
    if (bound.implementation.type === 'shell') {
      const r = await runShell(bound.implementation.body, bound.captures, undefined, from.signal);
      from.appendOutput(r.stdout, r.stderr);
      if (r.exitCode !== 0) {
        const e = new Error(`step "${text}" failed with exit code ${r.exitCode}`);
        e.name = 'StepFailure';
        throw e;
      }
    } else {
      const fn = await settings.loadTsStep(bound.implementation);
      await fn(from, ...bound.captures);
    }
  };
  const ctx = new ScenarioContext(
    scenario.name,
    datadir,
    settings.env.srcdir,
    baseEnv,
    callStep,
    lane.worker,
  );
  const tsAbort = new StepAborts(interrupt, hardInterrupt);

  const stepTimeout = (ms: MatchedStep, honourDeadline: boolean): number | undefined => {
    let t =
      ms.implementation.type === 'ts'
        ? (ms.implementation.impl.timeoutMs ?? settings.stepTimeoutMs)
        : settings.stepTimeoutMs;
    if (honourDeadline && Number.isFinite(deadline)) {
      const left = Math.max(1, deadline - Date.now());
      t = t === undefined ? left : Math.min(t, left);
    }
    return t;
  };

  const runOne = async (ms: MatchedStep, honourDeadline: boolean): Promise<StepRun> => {
    const signal = honourDeadline ? interrupt : hardInterrupt;
    emit({ type: 'step-started', scenario: matched, step: ms });
    const t0 = performance.now();
    const timeoutMs = stepTimeout(ms, honourDeadline);
    let status: StepStatus;
    let exitCode: number;
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    if (ms.implementation.type === 'shell') {
      const r = await runShell(ms.implementation.body, ms.captures, timeoutMs, signal);
      exitCode = r.exitCode;
      stdout = r.stdout;
      stderr = r.stderr;
      status =
        r.exitCode === 0 && !r.timedOut && !r.interrupted ? 'passed' : r.timedOut ? 'timed-out' : 'failed';
      if (r.timedOut) error = `timed out after ${((timeoutMs ?? 0) / 1000).toFixed(1)} s`;
      if (r.interrupted) error = 'interrupted';
    } else {
      const ac = tsAbort.current(signal);
      ctx.beginStep(ac.controller.signal);
      let timedOut = false;
      const timer =
        timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              ac.controller.abort(new Error('timed out'));
            }, timeoutMs)
          : undefined;
      try {
        const fn = await settings.loadTsStep(ms.implementation);
        if (ac.controller.signal.aborted) throw ac.controller.signal.reason;
        const returned = fn(ctx, ...ms.captures);
        // Synchronous steps need no race (and no microtask hop).
        if (returned && typeof (returned as Promise<void>).then === 'function') {
          await Promise.race([returned, ac.aborted]);
        }
        status = 'passed';
        exitCode = 0;
      } catch (err) {
        status = timedOut ? 'timed-out' : 'failed';
        exitCode = 1;
        error = timedOut
          ? `timed out after ${((timeoutMs ?? 0) / 1000).toFixed(1)} s`
          : ac.controller.signal.aborted
            ? 'interrupted'
            : errorText(err, settings.debug, settings.env.srcdir);
        if (ac.controller.signal.aborted) {
          ctx.killStep();
          tsAbort.reset();
        }
      } finally {
        if (timer) clearTimeout(timer);
      }
      const out = ctx.takeOutput();
      stdout = capText(out.stdout);
      stderr = capText(out.stderr);
    }
    const result: StepResult = {
      step: ms.step,
      implementation: ms.implementation,
      status,
      exitCode,
      stdout,
      stderr,
      error,
      durationMs: performance.now() - t0,
    };
    results.push(result);
    if (status === 'timed-out' && honourDeadline && Date.now() >= deadline - 1) scenarioTimedOut = true;
    emit({ type: 'step-finished', scenario: matched, result });
    if (settings.snapshot) {
      snapshotNumber++;
      const name = `${String(snapshotNumber).padStart(3, '0')}-${ms.step.kind}-${niceName(ms.step.text)}`;
      spawnSync('cp', ['-ax', datadir, join(scenarioDir, name)]);
    }
    return { result };
  };

  const assuming = matched.steps.filter((s) => s.step.kind === 'ASSUMING');
  const finallySteps = matched.steps.filter((s) => s.step.kind === 'FINALLY');
  const normal = matched.steps.filter((s) => s.step.kind !== 'ASSUMING' && s.step.kind !== 'FINALLY');

  let ok = true;
  let skippedBy: Step | undefined;
  let reason: string | undefined;
  for (const ms of assuming) {
    const { result } = await runOne(ms, true);
    if (result.status !== 'passed') {
      if (settings.requireAssumptions || result.status === 'timed-out' || interrupt.aborted) ok = false;
      else skippedBy = ms.step;
      break;
    }
  }
  if (ok && !skippedBy) {
    for (const ms of normal) {
      if (interrupt.aborted) {
        ok = false;
        reason = 'interrupted';
        break;
      }
      const { result } = await runOne(ms, true);
      if (result.status !== 'passed') {
        ok = false;
        break;
      }
    }
    if (scenarioTimedOut)
      reason = `scenario timed out after ${((settings.scenarioTimeoutMs ?? 0) / 1000).toFixed(1)} s`;
    for (const ms of finallySteps) {
      const { result } = await runOne(ms, false);
      if (result.status !== 'passed') {
        ok = false;
        break;
      }
    }
  }
  tsAbort.dispose();
  const cleanupFailures = await ctx.runCleanups();
  ctx.killAll();
  if (cleanupFailures.length > 0) {
    ok = false;
    reason = `cleanup failed: ${cleanupFailures.join('; ')}`;
  }

  const status = !ok ? 'failed' : skippedBy ? 'skipped' : 'passed';
  let keptDir: string | undefined;
  if (settings.snapshot || (settings.keepFailed && status === 'failed')) {
    keptDir = datadir;
  } else if (settings.tempdir) {
    // The reference removes the whole --tempdir after each scenario; with
    // parallel lanes only this scenario's part can go.
    rmSync(settings.parallel ? scenarioDir : resolve(temp), { recursive: true, force: true });
  } else {
    const top = settings.sharedTempRoot ? scenarioDir : temp;
    if (!removeEmptyLayout(top, datadir)) {
      settings.pendingDeletes.push(
        new Promise((done) => rm(top, { recursive: true, force: true }, () => done(undefined))),
      );
    }
  }
  const result: ScenarioResult = {
    scenario,
    index: matched.index,
    status,
    steps: results,
    durationMs: performance.now() - started,
    skippedBy,
    reason,
    datadir,
    keptDir,
  };
  emit({ type: 'scenario-finished', scenario: matched, result });
  return result;
}
