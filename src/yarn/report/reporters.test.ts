import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MatchedScenario, RunEvent, ScenarioResult, StepResult } from '../model.js';
import { failureReport } from './failure-report.js';
import { HumanReporter } from './human-reporter.js';
import { renderJson, renderJunit, renderTap } from './render-report.js';
import { summaryLine } from './summary.js';

const loc = { file: 'f.md', line: 3 };
const shellImpl = {
  type: 'shell' as const,
  keyword: 'THEN',
  pattern: 'it fails',
  body: 'exit 3',
  location: { file: 'f.md', line: 9 },
  bodyFromNextBlock: false,
};
const failedStep: StepResult = {
  step: { kind: 'THEN', text: 'it fails', location: loc },
  implementation: shellImpl,
  status: 'failed',
  exitCode: 3,
  stdout: 'to-stdout\n',
  stderr: '+ exit 3\n',
  durationMs: 1,
};
const scenario = (name: string, index: number) => ({
  name,
  location: { file: 'f.md', line: index + 1 },
  steps: [],
});
const result = (
  name: string,
  index: number,
  status: ScenarioResult['status'],
  steps: StepResult[] = [],
): ScenarioResult => ({
  scenario: scenario(name, index),
  index,
  status,
  steps,
  durationMs: 5,
});

test('the failure report is the reference format, verbatim', () => {
  assert.equal(
    failureReport('second fails', failedStep),
    'ERROR: In scenario "second fails"\nstep "THEN it fails" failed,\nwith exit code 3:\n' +
      'Standard output from shell command:\n    to-stdout\n\nStandard error from shell command:\n    + exit 3\n\n',
  );
});

test('summary line counts passed, failed, skipped', () => {
  assert.equal(
    summaryLine([
      result('a', 0, 'passed'),
      result('b', 1, 'failed'),
      result('c', 2, 'skipped'),
      result('d', 3, 'passed'),
    ]),
    '2 passed, 1 failed, 1 skipped',
  );
});

test('human reporter: verbose lines in scenario order even when scenarios finish out of order', () => {
  let out = '';
  let err = '';
  const rep = new HumanReporter(
    { out: (t) => (out += t), err: (t) => (err += t) },
    { mode: 'verbose', timings: false, dryRun: false },
  );
  const ms = (i: number): MatchedScenario => ({ scenario: scenario(`s${i}`, i), steps: [], index: i });
  const events: RunEvent[] = [
    { type: 'run-started', scenarios: [ms(0), ms(1)], totalSteps: 0 },
    { type: 'scenario-started', scenario: ms(0), datadir: '/d0' },
    { type: 'scenario-started', scenario: ms(1), datadir: '/d1' },
    { type: 'scenario-finished', scenario: ms(1), result: result('s1', 1, 'passed') },
    { type: 'scenario-finished', scenario: ms(0), result: result('s0', 0, 'passed') },
  ];
  for (const e of events) rep.onEvent(e);
  assert.ok(out.indexOf('Running scenario s0') < out.indexOf('Running scenario s1'));
  rep.finish([result('s0', 0, 'passed'), result('s1', 1, 'failed', [failedStep])], 10);
  assert.match(err, /Failed scenarios:\n {4}- s1\nERROR: Test suite FAILED in 1 scenarios\n/);
  assert.ok(out.endsWith('1 passed, 1 failed, 0 skipped\n'));
});

test('human reporter: PASS summary counts steps run and skips', () => {
  let out = '';
  const rep = new HumanReporter(
    { out: (t) => (out += t), err: () => {} },
    { mode: 'verbose', timings: true, dryRun: false },
  );
  const passed = { ...failedStep, status: 'passed' as const, exitCode: 0 };
  rep.finish([result('a', 0, 'passed', [passed, passed]), result('b', 1, 'skipped', [passed])], 1234);
  assert.match(out, /^Scenario test suite PASS, with 2 scenarios \(3 total steps\), in 1\.2 seconds$/m);
  assert.match(out, /^Scenarios SKIPPED due to ASSUMING step failing: 1$/m);
  assert.match(out, /^ {2}0\.0 a$/m);
  assert.match(out, /^ {4}0\.0 THEN it fails$/m);
});

const input = {
  doc: { files: ['f.md'], scenarios: [], implementations: [], notes: [] },
  results: [
    result('ok <1>', 0, 'passed'),
    result('bad & "2"', 1, 'failed', [failedStep]),
    result('skip', 2, 'skipped'),
  ],
  durationMs: 20,
};

test('TAP: plan, ok/not ok, SKIP and a YAML block with the output', () => {
  const tap = renderTap(input);
  assert.match(tap, /^TAP version 13\n1\.\.3\nok 1 - ok <1>\nnot ok 2 - bad & "2"\n {2}---\n/);
  assert.match(tap, /exitCode: 3/);
  assert.match(tap, /stdout: \|-\n {4}to-stdout/);
  assert.match(tap, /^ok 3 - skip # SKIP/m);
});

test('JUnit: escaped names, one failure, one skipped', () => {
  const xml = renderJunit(input);
  assert.match(xml, /<testsuites name="yarn-run" tests="3" failures="1" errors="0"/);
  assert.match(xml, /name="bad &amp; &quot;2&quot;"/);
  assert.match(xml, /<failure message="step &quot;THEN it fails&quot; failed: exit code 3"/);
  assert.match(xml, /<skipped /);
});

test('JSON: summary and steps', () => {
  const data = JSON.parse(renderJson(input));
  assert.deepEqual(data.summary.passed, 1);
  assert.equal(data.scenarios[1].steps[0].exitCode, 3);
  assert.equal(data.scenarios[1].steps[0].implementation.location, 'f.md:9');
});

test('HTML: the Markdown as a document, each step line marked with its outcome, failures with output', async () => {
  const { renderHtml } = await import('./render-html.js');
  const source = 'Title\n=====\n\nSome *prose*.\n\n    SCENARIO bad & "2"\n    THEN it fails\n';
  const html = renderHtml({
    ...input,
    results: [
      {
        ...result('bad & "2"', 1, 'failed', [
          { ...failedStep, step: { ...failedStep.step, location: { file: 'f.md', line: 7 } } },
        ]),
        scenario: { name: 'bad & "2"', location: { file: 'f.md', line: 6 }, steps: [] },
      },
    ],
    sources: new Map([['f.md', source]]),
  });
  assert.match(html, /<h1>Title<\/h1>/);
  assert.match(html, /<em>prose<\/em>/);
  assert.match(
    html,
    /<span class="yarn-line failed" id="scenario-1">.*SCENARIO bad &amp; &quot;2&quot;<\/span>/,
  );
  assert.match(
    html,
    /<span class="yarn-line failed"><span class="badge">failed [\d.]+ ms<\/span>THEN it fails<\/span><details open>/,
  );
  assert.match(html, /to-stdout/);
});
