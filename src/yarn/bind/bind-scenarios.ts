/**
 * Binds every step of every scenario to exactly one implementation, in the
 * reference's order (scenarios, then steps, then implementations), so the
 * first offender is the one the reference reports.
 */

import { YarnError } from '../errors.js';
import type { MatchedScenario, MatchedStep, Scenario, Step } from '../model.js';
import { didYouMean, snippetLines } from './snippet.js';
import type { StepRegistry } from './step-registry.js';

/** A scenario left out by `--allow-missing-steps`, with its first unbound step. */
export interface DroppedScenario {
  readonly scenario: Scenario;
  /** Index in the document. */
  readonly index: number;
  readonly missing: Step;
}

export interface BindResult {
  readonly scenarios: MatchedScenario[];
  /** Scenarios with an unbound step (only with --allow-missing-steps), in document order. */
  readonly dropped: DroppedScenario[];
  /** `Scenario NAME has missing step GIVEN text` lines (with --allow-missing-steps). */
  readonly warnings: string[];
}

function loc(step: Step): string {
  return `${step.location.file}:${step.location.line}`;
}

/**
 * Binds one step.
 * @throws YarnError STEP_UNDEFINED, STEP_AMBIGUOUS, BAD_PATTERN
 */
export function bindStep(scenarioName: string, step: Step, registry: StepRegistry): MatchedStep {
  const matches = registry.find(step.kind, step.text);
  if (matches.length === 0) {
    throw new YarnError(
      'STEP_UNDEFINED',
      `Scenario "${scenarioName}", step "${step.kind} ${step.text}" has no matching implementation`,
      { location: loc(step), details: [...didYouMean(step, registry), ...snippetLines(step)] },
    );
  }
  if (matches.length > 1) {
    throw new YarnError(
      'STEP_AMBIGUOUS',
      `Scenario "${scenarioName}", step "${step.kind} ${step.text}" has more than one matching implementations:`,
      {
        location: loc(step),
        details: matches.map((m) => `${m.candidate.description}  (${m.candidate.location})`),
      },
    );
  }
  const only = matches[0]!;
  return { step, implementation: only.candidate.implementation, captures: only.captures };
}

/**
 * Binds all scenarios; with `allowMissing`, scenarios with an unbound step are
 * dropped with a warning (ambiguity stays fatal, as in the reference).
 * @throws YarnError STEP_UNDEFINED, STEP_AMBIGUOUS, BAD_PATTERN
 */
export function bindScenarios(
  scenarios: readonly Scenario[],
  registry: StepRegistry,
  options: { allowMissing?: boolean } = {},
): BindResult {
  const out: MatchedScenario[] = [];
  const warnings: string[] = [];
  const dropped: DroppedScenario[] = [];
  scenarios.forEach((scenario, index) => {
    const steps: MatchedStep[] = [];
    let missing: Step | undefined;
    for (const step of scenario.steps) {
      try {
        steps.push(bindStep(scenario.name, step, registry));
      } catch (err) {
        if (options.allowMissing && err instanceof YarnError && err.code === 'STEP_UNDEFINED') {
          warnings.push(`Scenario ${scenario.name} has missing step ${step.kind} ${step.text}`);
          missing ??= step;
        } else throw err;
      }
    }
    if (missing) dropped.push({ scenario, index, missing });
    else out.push({ scenario, steps, index });
  });
  return { scenarios: out, dropped, warnings };
}
