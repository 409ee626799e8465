/**
 * Differential compatibility test (spec yarn.md 1.9): every case of the
 * corpus in `src/yarn/testdata/compat/cases.json` runs through the reference
 * cmdtest `yarn` and through yarn-run (`-v`, same directory, same arguments);
 * both must agree on exit status, scenarios run (in order), scenarios failed,
 * the failing step and exit code of every failure report, skip count and the
 * first `ERROR:` line of a validation failure.
 *
 * Two suites, exactly one of which runs:
 * - "reference vs yarn-run, live" runs both engines (skipped when /usr/bin/yarn
 *   is missing) and also checks that the reference still gives the outcome
 *   recorded in cases.json;
 * - "recorded reference outcome vs yarn-run" checks yarn-run against the
 *   outcome recorded from the reference in cases.json, for machines without
 *   cmdtest (re-record with `node src/yarn/testdata/compat/record.mjs`).
 * Cases with a `knownDivergence` note are reported as TODO, not as failures.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type CompatCase,
  corpusDir,
  diffOutcomes,
  type EngineRun,
  findPackageRoot,
  loadCases,
  REFERENCE_YARN,
  runCase,
} from '../../test/support/compat-harness.js';

const root = findPackageRoot(import.meta.url);
const dir = corpusDir(root);
const cases = loadCases(dir);
const ours = [process.execPath, join(root, 'dist', 'src', 'yarn', 'cli', 'main.js')];
const haveReference = existsSync(REFERENCE_YARN);

function explain(c: CompatCase, label: string, run: EngineRun): string {
  const tail = (s: string) => s.split('\n').slice(-25).join('\n');
  return [
    `case ${c.name} (${c.covers}): ${label} with args ${JSON.stringify(c.args)} files ${JSON.stringify(c.files)}`,
    run.timedOut ? '(timed out)' : '',
    `--- yarn-run stdout (tail):\n${tail(run.stdout)}`,
    `--- yarn-run stderr (tail):\n${tail(run.stderr)}`,
  ].join('\n');
}

function todo(c: CompatCase): { todo?: string } {
  return c.knownDivergence ? { todo: c.knownDivergence } : {};
}

describe('yarn compat corpus', () => {
  it('has at least 30 cases, each with files under the corpus and a recorded outcome', () => {
    assert.ok(cases.length >= 30, `only ${cases.length} cases`);
    for (const c of cases) {
      for (const f of c.files) assert.ok(existsSync(join(dir, f)), `${c.name}: missing ${f}`);
      assert.ok(c.expect, `${c.name}: no recorded outcome (run record.mjs)`);
    }
  });

  it('finds differences in outcomes (harness self-check)', () => {
    const a = { exit: 1, run: ['a', 'b'], failed: ['b'] };
    assert.deepEqual(diffOutcomes(a, { ...a }), []);
    assert.equal(diffOutcomes(a, { ...a, exit: 0 }).length, 1);
    assert.equal(diffOutcomes(a, { ...a, run: ['b', 'a'] }).length, 1);
    assert.equal(diffOutcomes(a, { ...a, failed: [] }).length, 1);
    assert.equal(diffOutcomes({ ...a, skipped: 1 }, { ...a, skipped: 0 }).length, 1);
    assert.equal(diffOutcomes({ ...a, error: 'x' }, { ...a, error: 'y' }).length, 1);
    assert.equal(
      diffOutcomes({ ...a, reports: ['b | THEN x | 1'] }, { ...a, reports: ['b | THEN x | 2'] }).length,
      1,
    );
  });
});

describe('recorded reference outcome vs yarn-run', {
  concurrency: 3,
  skip: haveReference ? 'the reference is installed: the live comparison below runs instead' : false,
}, () => {
  for (const c of cases) {
    it(c.name, todo(c), async () => {
      const run = await runCase(ours, dir, c);
      const diffs = diffOutcomes(c.expect!, run.outcome);
      assert.deepEqual(diffs, [], explain(c, 'yarn-run differs from the recorded reference outcome', run));
    });
  }
});

describe('reference (cmdtest yarn) vs yarn-run, live', {
  concurrency: 2,
  skip: haveReference
    ? false
    : `${REFERENCE_YARN} is missing (apt-get install cmdtest): live comparison skipped`,
}, () => {
  for (const c of cases) {
    it(c.name, todo(c), async () => {
      const [ref, mine] = await Promise.all([runCase([REFERENCE_YARN], dir, c), runCase(ours, dir, c)]);
      assert.ok(!ref.timedOut, `${c.name}: the reference timed out`);
      assert.deepEqual(
        diffOutcomes(c.expect!, ref.outcome),
        [],
        `${c.name}: the reference no longer gives the recorded outcome; re-record with record.mjs`,
      );
      const diffs = diffOutcomes(ref.outcome, mine.outcome);
      assert.deepEqual(diffs, [], explain(c, 'yarn-run differs from the reference', mine));
    });
  }
});
