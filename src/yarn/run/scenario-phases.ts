/**
 * How a scenario's steps run: by phase (ASSUMING, the ordinary steps,
 * FINALLY), and within a phase, consecutive shell steps as one series in
 * the lane's shell.
 */
import type { MatchedScenario, MatchedStep } from '../model.js';

/** A scenario's steps by phase, each in document order. */
export interface ScenarioPhases {
  readonly assuming: readonly MatchedStep[];
  readonly normal: readonly MatchedStep[];
  readonly finally: readonly MatchedStep[];
}

export function scenarioPhases(matched: MatchedScenario): ScenarioPhases {
  return {
    assuming: matched.steps.filter((s) => s.step.kind === 'ASSUMING'),
    normal: matched.steps.filter((s) => s.step.kind !== 'ASSUMING' && s.step.kind !== 'FINALLY'),
    finally: matched.steps.filter((s) => s.step.kind === 'FINALLY'),
  };
}

/**
 * The end (exclusive) of the series that starts with the shell step
 * `steps[start]`: the shell steps that follow it, up to the first of another
 * kind; the step alone under `--snapshot` (`snapshot`), which copies the data
 * after each step.
 */
export function seriesEnd(steps: readonly MatchedStep[], start: number, snapshot: boolean): number {
  let end = start + 1;
  while (!snapshot && end < steps.length && steps[end]!.implementation.type === 'shell') end++;
  return end;
}
