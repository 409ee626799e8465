import assert from 'node:assert/strict';
import { test } from 'node:test';
import { YarnError } from '../errors.js';
import type { TsImplementation } from '../model.js';
import { parseYarnSources } from '../parse/parse-yarn.js';
import { bindScenarios } from './bind-scenarios.js';
import { StepRegistry } from './step-registry.js';

const doc = (text: string) => parseYarnSources([{ file: 'f.md', text }]);
const tsImpl: TsImplementation = {
  type: 'ts',
  location: 'steps.ts:4',
  impl: { kinds: ['THEN'], pattern: /^ok$/, doc: '', run: () => {}, location: 'steps.ts:4' },
};

test('keyword-partitioned: IMPLEMENTS GIVEN never serves a WHEN', () => {
  const d = doc(
    '    SCENARIO s\n    WHEN x\n    THEN x\n\n    IMPLEMENTS GIVEN x\n    true\n    IMPLEMENTS THEN x\n    true\n',
  );
  assert.throws(
    () => bindScenarios(d.scenarios, new StepRegistry(d.implementations)),
    (e: unknown) =>
      e instanceof YarnError &&
      e.code === 'STEP_UNDEFINED' &&
      e.message === 'Scenario "s", step "WHEN x" has no matching implementation' &&
      e.location === 'f.md:2' &&
      e.details.some((l) => l.includes('is for GIVEN')) &&
      e.details.some((l) => l.includes('IMPLEMENTS WHEN x')),
  );
});

test('ambiguity across shell and TS lists both with file:line', () => {
  const d = doc('    SCENARIO s\n    THEN ok\n\n    IMPLEMENTS THEN o.\n    true\n');
  assert.throws(
    () => bindScenarios(d.scenarios, new StepRegistry(d.implementations, [tsImpl])),
    (e: unknown) =>
      e instanceof YarnError &&
      e.code === 'STEP_AMBIGUOUS' &&
      e.details.length === 2 &&
      e.details[0]!.includes('(f.md:4)') &&
      e.details[1]!.includes('(steps.ts:4)'),
  );
});

test('--allow-missing-steps drops the scenario with a warning', () => {
  const d = doc('    SCENARIO a\n    THEN ok\n\n    SCENARIO b\n    THEN missing\n');
  const r = bindScenarios(d.scenarios, new StepRegistry(d.implementations, [tsImpl]), { allowMissing: true });
  assert.deepEqual(
    r.scenarios.map((s) => s.scenario.name),
    ['a'],
  );
  assert.deepEqual(r.warnings, ['Scenario b has missing step THEN missing']);
});

test('captures become MATCH_n values', () => {
  const d = doc('    SCENARIO a\n    THEN x 12 y\n\n    IMPLEMENTS THEN x (\\d+) (?P<w>\\w)(z)?\n    true\n');
  const r = bindScenarios(d.scenarios, new StepRegistry(d.implementations));
  assert.deepEqual(r.scenarios[0]!.steps[0]!.captures, ['12', 'y', '']);
});
