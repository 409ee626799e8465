/**
 * Sending a scenario ahead: while the lane's shell runs the last series of
 * one scenario, the next scenario's directories are made and its first
 * series of shell steps is written to the shell behind it, so the shell goes
 * from one scenario to the next without waiting for this process. The
 * scenario itself still begins (events, timers, results) only when the one
 * before it has ended; only what the shell does moves earlier.
 */
import type { MatchedScenario, MatchedStep } from '../model.js';
import { makeScenarioDirs, removeScenarioDirs, type ScenarioDirs } from './scenario-dirs.js';
import { scenarioPhases, seriesEnd } from './scenario-phases.js';
import type { ScenarioRun } from './scenario-run.js';
import { type SeriesAhead, seriesRequests, stepPlaceOf } from './step-executor.js';

/** A scenario made ready before it began. */
export interface ScenarioAhead {
  readonly dirs: ScenarioDirs;
  /** Its first series, in the shell already (none when the scenario begins otherwise). */
  readonly first?: SeriesAhead;
}

/**
 * The steps of the scenario's first series: the series its first non-empty
 * phase begins with, if that begins with a shell step (else none).
 */
export function firstSeriesSteps(matched: MatchedScenario, snapshot: boolean): readonly MatchedStep[] {
  const { assuming, normal } = scenarioPhases(matched);
  const phase = assuming.length > 0 ? assuming : normal;
  return phase[0]?.implementation.type === 'shell' ? phase.slice(0, seriesEnd(phase, 0, snapshot)) : [];
}

/**
 * True when nothing of `matched` can run after its ordinary steps: all its
 * steps are shell steps (no TS step, so no cleanups) and it has no FINALLY
 * steps. Its ordinary steps are then the last thing it sends to the shell.
 */
export function endsWithOrdinarySteps(matched: MatchedScenario): boolean {
  return matched.steps.every((s) => s.implementation.type === 'shell' && s.step.kind !== 'FINALLY');
}

/**
 * Makes `matched`'s directories and sends its first series to the lane's shell.
 * @throws YarnError TEMP_DIR when the scenario directory exists (nothing is sent).
 */
export function sendAhead(matched: MatchedScenario, run: ScenarioRun): ScenarioAhead {
  const { settings } = run;
  const dirs = makeScenarioDirs(matched, settings);
  const steps = firstSeriesSteps(matched, settings.snapshot);
  const series =
    steps.length > 0
      ? run.lane.shell.prepare?.(
          seriesRequests(settings, stepPlaceOf(settings, dirs.datadir), steps, run.interrupt),
        )
      : undefined;
  return { dirs, first: series ? { steps, series } : undefined };
}

/** Gives up a scenario sent ahead that will not run: stops its steps, removes its directories. */
export async function discardAhead(ahead: ScenarioAhead, run: ScenarioRun): Promise<void> {
  await ahead.first?.series.discard();
  removeScenarioDirs(ahead.dirs, run.settings, run.deletes);
}
