/**
 * No-op TypeScript bindings for the benchmark kit's generated scenarios
 * (`/work/shared/bench/gen.mjs`): the same regexes as its `NAME.impl.md`
 * (`s<j> step <scenario>.<index>` per keyword), so `NAME.md` runs with
 * `--steps bench/yarn/noop-steps.ts` instead of the shell IMPLEMENTS.
 */
import { type StepImpl, step } from '../../src/yarn/api.js';

const noop = (): void => {};

const steps: StepImpl[] = [
  step('GIVEN', /^s(\d+) step (\d+)\.(\d+)$/, 'benchmark no-op GIVEN', noop),
  step('WHEN', /^s(\d+) step (\d+)\.(\d+)$/, 'benchmark no-op WHEN', noop),
  step('THEN', /^s(\d+) step (\d+)\.(\d+)$/, 'benchmark no-op THEN', noop),
];

export default steps;
