/**
 * The machine-readable reports against what their consumers accept:
 * TAP through tap-parser in strict mode, JUnit through xmllint and the
 * Ant/Jenkins XSD in testdata/, JSON through Ajv and the shipped schema.
 * The results cover every status: passed, flaky, failed (shell and TS),
 * skipped by an ASSUMING, and never run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { type FinalResults, Parser } from 'tap-parser';
import type { ScenarioResult, StepResult, TsImplementation } from '../model.js';
import { renderJson, renderJunit, renderTap } from './render-report.js';

// dist/src/yarn/report -> the repository root (testdata and schemas are not compiled)
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const xsd = join(root, 'src', 'yarn', 'report', 'testdata', 'junit-jenkins.xsd');
const schemaFile = join(root, 'schemas', 'yarn-run-report-1.schema.json');

const loc = (line: number) => ({ file: 'f.md', line });
const shell = {
  type: 'shell' as const,
  keyword: 'THEN',
  pattern: 'it fails',
  body: 'exit 3',
  location: loc(40),
  bodyFromNextBlock: false,
};
const ts: TsImplementation = {
  type: 'ts',
  location: 'steps.ts:7',
  impl: { kinds: ['THEN'], pattern: /x/, doc: 'x', location: 'steps.ts:7', run: () => {} },
};
const step = (over: Partial<StepResult>): StepResult => ({
  step: { kind: 'THEN', text: 'it # works & <is> "fine"', location: loc(5) },
  implementation: shell,
  status: 'passed',
  exitCode: 0,
  stdout: 'out\n',
  stderr: '+ true\n',
  durationMs: 1,
  ...over,
});
const scenario = (name: string, line: number, over: Partial<ScenarioResult>): ScenarioResult => ({
  scenario: { name, location: loc(line), steps: [] },
  index: line,
  status: 'passed',
  steps: [step({})],
  durationMs: 3,
  ...over,
});
const results: ScenarioResult[] = [
  scenario('passes', 1, {}),
  scenario('flaky # one', 2, { attempts: 2 }),
  scenario('shell fails', 3, { status: 'failed', steps: [step({ status: 'failed', exitCode: 3 })] }),
  scenario('ts fails \\ <tag>', 4, {
    status: 'failed',
    steps: [
      step({
        implementation: ts,
        status: 'failed',
        exitCode: 1,
        error: 'AssertionError: 1 == 2\n  at steps.ts:9:3',
      }),
    ],
  }),
  scenario('assumption', 5, {
    status: 'skipped',
    skippedBy: { kind: 'ASSUMING', text: 'x', location: loc(6) },
  }),
  scenario('never ran', 6, {
    status: 'skipped',
    steps: [],
    durationMs: 0,
    reason: 'not run: step "GIVEN y" has no implementation',
  }),
];
const input = {
  doc: { files: ['f.md'], scenarios: [], implementations: [], notes: [] },
  results,
  durationMs: 30,
};

function parseStrict(tap: string): Promise<FinalResults> {
  const parser = new Parser({ strict: true });
  const done = new Promise<FinalResults>((resolve) => parser.on('complete', resolve));
  parser.end(tap);
  return done;
}

/** The stream errors (not failing tests) tap-parser found. */
function tapErrors(final: FinalResults): string[] {
  return final.failures.flatMap((f) => (f.tapError ? [f.tapError] : []));
}

test('TAP: tap-parser in strict mode accepts it, with every scenario and its status', async () => {
  const tap = renderTap(input);
  const final = await parseStrict(tap);
  assert.deepEqual(tapErrors(final), [], tap);
  assert.equal(final.count, 6);
  assert.equal(final.pass, 4);
  assert.equal(final.fail, 2);
  assert.equal(final.skip, 2);
  assert.match(tap, /^ok 2 - flaky \\# one\n {2}---\n {2}flaky: true\n {2}attempts: 2\n/m);
  assert.match(tap, /exitCode: 3/);
  assert.doesNotMatch(tap.slice(tap.indexOf('not ok 4')), /exitCode/);
});

test('TAP: non-TAP output after the stream is what strict mode rejects (the check can fail)', async () => {
  const final = await parseStrict(
    `${renderTap({ ...input, results: [results[0]!] })}1 passed, 0 failed, 0 skipped\n`,
  );
  assert.deepEqual(tapErrors(final), ['Non-TAP data encountered in strict mode']);
});

test('JUnit: xmllint validates it against the Ant/Jenkins XSD', () => {
  const xml = renderJunit(input);
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd, '-'], { input: xml, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stderr}\n${xml}`);
  assert.match(xml, /tests="6" failures="2"/);
  assert.match(xml, /status="flaky"/);
  assert.equal((xml.match(/<skipped /g) ?? []).length, 2);
  const bad = spawnSync('xmllint', ['--noout', '--schema', xsd, '-'], {
    input: xml.replace('<testcase ', '<testcase line="3" '),
    encoding: 'utf8',
  });
  assert.notEqual(bad.status, 0, 'an attribute the format does not define must fail validation');
});

test('JSON: Ajv validates it against the shipped, versioned schema', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  const data = JSON.parse(renderJson(input)) as {
    version: number;
    summary: unknown;
    scenarios: { flaky: boolean; attempts: number; steps: { exitCode?: number }[] }[];
  };
  assert.ok(validate(data as unknown), JSON.stringify(validate.errors, null, 2));
  assert.equal(data.version, 1);
  assert.deepEqual(data.summary, { passed: 2, failed: 2, skipped: 2, flaky: 1, durationMs: 30 });
  assert.equal(data.scenarios[1]!.flaky, true);
  assert.equal(data.scenarios[3]!.steps[0]!.exitCode, undefined);
  assert.equal(data.scenarios[5]!.attempts, 0);
  data.scenarios[3]!.steps[0]!.exitCode = 1;
  assert.equal(validate(data as unknown), false, 'a TS step with an exit code must fail validation');
});
