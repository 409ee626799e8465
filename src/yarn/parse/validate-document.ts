import { YarnError } from '../errors.js';
import type { Scenario } from '../model.js';

/**
 * The reference's whole-run checks, in its order: at least one scenario, no
 * duplicate names (exact compare), every scenario has a THEN.
 * @throws YarnError NO_SCENARIOS, DUPLICATE_SCENARIO, NO_THEN
 */
export function validateScenarios(scenarios: readonly Scenario[]): void {
  if (scenarios.length === 0) {
    throw new YarnError('NO_SCENARIOS', 'There are no scenarios; must have at least one.');
  }
  const seen = new Map<string, Scenario[]>();
  for (const s of scenarios) {
    const list = seen.get(s.name);
    if (list) list.push(s);
    else seen.set(s.name, [s]);
  }
  const dups = [...seen.entries()].filter(([, list]) => list.length > 1);
  if (dups.length > 0) {
    const first = dups[0]![1][1]!;
    throw new YarnError('DUPLICATE_SCENARIO', 'There are scenarios with duplicate names:', {
      location: `${first.location.file}:${first.location.line}`,
      details: dups.map(
        ([name, list]) =>
          `  ${name}  (${list.map((s) => `${s.location.file}:${s.location.line}`).join(', ')})`,
      ),
    });
  }
  const noThen = scenarios.filter((s) => !s.steps.some((step) => step.kind === 'THEN'));
  if (noThen.length > 0) {
    throw new YarnError('NO_THEN', 'Some scenarios have no THENs:', {
      location: `${noThen[0]!.location.file}:${noThen[0]!.location.line}`,
      details: noThen.map((s) => `  "${s.name}"  (${s.location.file}:${s.location.line})`),
    });
  }
}
