/**
 * Runs one bound scenario the reference's way: fresh data dir, ASSUMING steps
 * first (a failure skips the scenario, FINALLY not run), then the other steps
 * until one fails, then FINALLY steps (the first failing one fails the
 * scenario), then `ctx.defer` cleanups (always). Timeouts and interrupts kill
 * the step's processes; FINALLY and cleanups still run afterwards. The steps
 * themselves run in a `StepExecutor`.
 */
import type { MatchedScenario, ScenarioResult, Step } from '../model.js';
import { endsWithOrdinarySteps, type ScenarioAhead } from './scenario-ahead.js';
import { makeScenarioDirs, removeScenarioDirs } from './scenario-dirs.js';
import { scenarioPhases } from './scenario-phases.js';
import type { ScenarioRun } from './scenario-run.js';
import { StepExecutor, stepPlaceOf } from './step-executor.js';

function dryRunResult(matched: MatchedScenario, run: ScenarioRun, started: number): ScenarioResult {
  run.emit({ type: 'scenario-started', scenario: matched });
  const result: ScenarioResult = {
    scenario: matched.scenario,
    index: matched.index,
    status: 'passed',
    steps: [],
    durationMs: performance.now() - started,
  };
  run.emit({ type: 'scenario-finished', scenario: matched, result });
  return result;
}

/**
 * Runs `matched` in `run.lane` (its directories made and its first series
 * sent already when `ahead` is given). When `run.sendNext` is set and
 * nothing of this scenario can follow its ordinary steps, `sendNext` is
 * called once they are in the shell. Never throws for step failures (they
 * are results).
 * @throws YarnError TEMP_DIR when the scenario directory exists.
 */
export async function runScenario(
  matched: MatchedScenario,
  run: ScenarioRun,
  ahead?: ScenarioAhead,
): Promise<ScenarioResult> {
  const started = performance.now();
  const { settings } = run;
  if (settings.dryRun) return dryRunResult(matched, run, started);
  let dirs: ReturnType<typeof makeScenarioDirs>;
  try {
    dirs = ahead?.dirs ?? makeScenarioDirs(matched, settings);
  } catch (err) {
    // The reference announces the scenario, then crashes on the existing directory.
    run.emit({ type: 'scenario-started', scenario: matched });
    throw err;
  }
  const { datadir } = dirs;
  run.emit({ type: 'scenario-started', scenario: matched, datadir });

  const scenarioTimeoutMs = settings.scenarioTimeoutMs;
  const executor = new StepExecutor(
    matched,
    run,
    {
      datadir,
      scenarioDir: dirs.scenarioDir,
      ...stepPlaceOf(settings, datadir),
      deadline: scenarioTimeoutMs !== undefined ? Date.now() + scenarioTimeoutMs : Number.POSITIVE_INFINITY,
    },
    ahead?.first,
  );
  const { assuming, normal, finally: finallySteps } = scenarioPhases(matched);

  let ok = true;
  let skippedBy: Step | undefined;
  let reason: string | undefined;
  const assumed = await executor.runPhase(assuming, true, false);
  if (assumed.failed) {
    const failed = assumed.failed;
    if (settings.requireAssumptions || failed.status === 'timed-out' || run.interrupt.aborted) ok = false;
    else skippedBy = failed.step;
  }
  if (ok && !skippedBy) {
    const sendNext = run.sendNext && endsWithOrdinarySteps(matched) ? run.sendNext : undefined;
    const body = await executor.runPhase(normal, true, true, sendNext);
    if (body.failed || body.interrupted) ok = false;
    if (body.interrupted) reason = 'interrupted';
    if (executor.scenarioTimedOut) {
      reason = `scenario timed out after ${((scenarioTimeoutMs ?? 0) / 1000).toFixed(1)} s`;
    }
    if ((await executor.runPhase(finallySteps, false, false)).failed) ok = false;
  }
  executor.dispose();
  const cleanupFailures = await executor.ctx.runCleanups();
  executor.ctx.killAll();
  if (cleanupFailures.length > 0) {
    ok = false;
    reason = `cleanup failed: ${cleanupFailures.join('; ')}`;
  }

  const status = !ok ? 'failed' : skippedBy ? 'skipped' : 'passed';
  let keptDir: string | undefined;
  if (settings.snapshot || (settings.keepFailed && status === 'failed')) keptDir = datadir;
  else removeScenarioDirs(dirs, settings, run.deletes);
  const result: ScenarioResult = {
    scenario: matched.scenario,
    index: matched.index,
    status,
    steps: executor.results,
    durationMs: performance.now() - started,
    skippedBy,
    reason,
    datadir,
    keptDir,
  };
  run.emit({ type: 'scenario-finished', scenario: matched, result });
  return result;
}
