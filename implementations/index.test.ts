/**
 * Binding checks that do not need the engine: every step of
 * yarns/deployment.yarn binds to exactly one implementation, and no step of
 * any yarns/*.yarn binds to more than one. The yarn files are read by
 * yarn-run's own parser and bound by its own registry (shell IMPLEMENTS of
 * the file and the TypeScript steps of implementations/index.ts), so these
 * checks see what a run sees.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CandidateMatch } from '../src/yarn/bind/step-registry.js';
import { StepRegistry } from '../src/yarn/bind/step-registry.js';
import type { Step, TsImplementation } from '../src/yarn/model.js';
import { parseYarnFiles } from '../src/yarn/parse/parse-yarn.js';
import steps from './index.js';

const yarnsDir = new URL('../../yarns/', import.meta.url).pathname;
const tsImplementations: TsImplementation[] = steps.map((impl) => ({
  type: 'ts',
  impl,
  location: impl.location,
}));

/** Every scenario step of `file` with the implementations that match it. */
function bindings(file: string): { step: Step; matches: CandidateMatch[] }[] {
  const doc = parseYarnFiles([join(yarnsDir, file)]);
  const registry = new StepRegistry(doc.implementations, tsImplementations);
  return doc.scenarios.flatMap((scenario) =>
    scenario.steps.map((step) => ({ step, matches: registry.find(step.kind, step.text) })),
  );
}

function describeStep({ step, matches }: { step: Step; matches: CandidateMatch[] }): string {
  const where = matches.map((m) => m.candidate.location).join(', ');
  return `${step.kind} ${step.text} (line ${step.location.line}) -> ${matches.length} bindings ${where}`;
}

describe('implementations/index.ts', () => {
  it('binds every step of deployment.yarn to exactly one implementation', () => {
    const all = bindings('deployment.yarn');
    assert.ok(all.length > 100, 'the yarn parser found the steps');
    assert.deepEqual(all.filter((b) => b.matches.length !== 1).map(describeStep), []);
  });

  it('binds no step of any yarn to more than one implementation', () => {
    for (const file of readdirSync(yarnsDir).filter((name) => name.endsWith('.yarn'))) {
      assert.deepEqual(
        bindings(file)
          .filter((b) => b.matches.length > 1)
          .map(describeStep),
        [],
        file,
      );
    }
  });
});
