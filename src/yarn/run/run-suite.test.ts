import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { check, type StepFunction, type StepImpl, type StepKind } from '../api.js';
import { bindScenarios, bindStep } from '../bind/bind-scenarios.js';
import { StepRegistry } from '../bind/step-registry.js';
import type { RunEvent, ScenarioResult, TsImplementation } from '../model.js';
import { parseYarnSources } from '../parse/parse-yarn.js';
import { runSuite, type SuiteSettings } from './run-suite.js';

function ts(kind: StepKind, pattern: RegExp, run: StepFunction, timeoutMs?: number): TsImplementation {
  const impl: StepImpl = { kinds: [kind], pattern, doc: '', run, timeoutMs, location: 'steps.ts:1' };
  return { type: 'ts', impl, location: 'steps.ts:1' };
}

async function run(
  markdown: string,
  tsImpls: TsImplementation[] = [],
  extra: Partial<SuiteSettings> = {},
  interrupt?: AbortSignal,
): Promise<{ results: ScenarioResult[]; events: RunEvent[] }> {
  const doc = parseYarnSources([{ file: 't.md', text: markdown }]);
  const registry = new StepRegistry(doc.implementations, tsImpls);
  const { scenarios } = bindScenarios(doc.scenarios, registry);
  const events: RunEvent[] = [];
  const settings: SuiteSettings = {
    env: { extra: [], srcdir: process.cwd(), shell: '/bin/sh', path: process.env.PATH },
    shellPrelude: '',
    cdDatadir: false,
    requireAssumptions: false,
    dryRun: false,
    snapshot: false,
    keepFailed: false,
    debug: false,
    bindStep: (scenario, step) => bindStep(scenario, step, registry),
    loadTsStep: async (impl) => impl.impl.run,
    jobs: 1,
    stopOnFirstFail: false,
    shell: '/bin/sh',
    shellArgs: ['-xeu'],
    ...extra,
  };
  const never = new AbortController().signal;
  const { results } = await runSuite(scenarios, settings, (e) => events.push(e), interrupt ?? never, never);
  return { results, events };
}

const stepsRun = (r: ScenarioResult) => r.steps.map((s) => `${s.step.kind} ${s.step.text}`);

test('ASSUMING runs first, FINALLY last, a failing step stops the rest but not FINALLY', async () => {
  const { results } = await run(
    [
      '    SCENARIO s',
      '    GIVEN ok',
      '    FINALLY tidy',
      '    ASSUMING fine',
      '    THEN bad',
      '    THEN ok',
      '',
      '    IMPLEMENTS GIVEN ok',
      '    true',
      '    IMPLEMENTS THEN ok',
      '    true',
      '    IMPLEMENTS THEN bad',
      '    echo out; echo err >&2; exit 3',
      '    IMPLEMENTS ASSUMING fine',
      '    true',
      '    IMPLEMENTS FINALLY tidy',
      '    true',
    ].join('\n'),
  );
  const r = results[0]!;
  assert.equal(r.status, 'failed');
  assert.deepEqual(stepsRun(r), ['ASSUMING fine', 'GIVEN ok', 'THEN bad', 'FINALLY tidy']);
  const bad = r.steps[2]!;
  assert.equal(bad.exitCode, 3);
  assert.equal(bad.stdout, 'out\n');
  assert.equal(bad.stderr, '+ echo out\n+ echo err\nerr\n+ exit 3\n');
});

test('a failing ASSUMING skips the scenario without running FINALLY', async () => {
  const { results } = await run(
    '    SCENARIO s\n    THEN ok\n    ASSUMING no\n    FINALLY tidy\n\n    IMPLEMENTS THEN ok\n    true\n    IMPLEMENTS ASSUMING no\n    false\n    IMPLEMENTS FINALLY tidy\n    true\n',
  );
  assert.equal(results[0]!.status, 'skipped');
  assert.deepEqual(stepsRun(results[0]!), ['ASSUMING no']);
});

test('a failing FINALLY fails a passing scenario; --require-assumptions turns a skip into a failure', async () => {
  const { results } = await run(
    '    SCENARIO s\n    THEN ok\n    FINALLY bad\n\n    IMPLEMENTS THEN ok\n    true\n    IMPLEMENTS FINALLY bad\n    false\n',
  );
  assert.equal(results[0]!.status, 'failed');
  const r2 = await run(
    '    SCENARIO s\n    ASSUMING no\n    THEN ok\n\n    IMPLEMENTS THEN ok\n    true\n    IMPLEMENTS ASSUMING no\n    false\n',
    [],
    {
      requireAssumptions: true,
    },
  );
  assert.equal(r2.results[0]!.status, 'failed');
});

test('the clean environment, MATCH_n and $0 of a shell step', async () => {
  const { results } = await run(
    '    SCENARIO s\n    THEN env has x and y\n\n    IMPLEMENTS THEN env has (\\w) and (z)?(\\w)\n    env | sort | grep -v "^PATH="; echo "0=$0"; exit 1\n',
  );
  const out = results[0]!.steps[0]!.stdout;
  const names = out
    .split('\n')
    .filter((l) => /^[A-Z][A-Z_0-9]*=/.test(l))
    .map((l) => l.slice(0, l.indexOf('=')))
    // Node itself adds NODE_V8_COVERAGE to every child while c8 measures this test.
    .filter((name) => name !== 'NODE_V8_COVERAGE');
  assert.deepEqual(names, [
    'DATADIR',
    'HOME',
    'LC_ALL',
    'LOGNAME',
    'MATCH_1',
    'MATCH_2',
    'MATCH_3',
    'PWD',
    'SHELL',
    'SRCDIR',
    'TERM',
    'USER',
    'USERNAME',
  ]);
  assert.match(out, /^MATCH_2=$/m);
  assert.match(out, /^USER=tomjon$/m);
  assert.match(out, /^0=\/.*step\.sh$/m);
});

test('TS steps: shared vars, StepFailure recognised by instanceof, cleanups newest first after FINALLY', async () => {
  const order: string[] = [];
  const impls = [
    ts('GIVEN', /a value (\d+)/, (ctx, n) => {
      ctx.vars.set('n', Number(n));
      ctx.defer(() => {
        order.push('cleanup 1');
      });
      ctx.defer(() => {
        order.push('cleanup 2');
      });
    }),
    ts('THEN', /it is (\d+)/, (ctx, n) => {
      check(ctx.vars.get('n') === Number(n), `expected ${n}`);
    }),
    ts('FINALLY', /note/, () => {
      order.push('finally');
    }),
  ];
  const { results } = await run(
    '    SCENARIO s\n    GIVEN a value 3\n    THEN it is 4\n    FINALLY note\n',
    impls,
  );
  const r = results[0]!;
  assert.equal(r.status, 'failed');
  assert.equal(r.steps[1]!.error, 'expected 4');
  assert.deepEqual(order, ['finally', 'cleanup 2', 'cleanup 1']);
});

test('ctx.run records exit code and output; ctx.step calls a shell IMPLEMENTS', async () => {
  const impls = [
    ts('WHEN', /running things/, async (ctx) => {
      const r = await ctx.sh('echo hi; exit 4');
      ctx.vars.set('r', r);
      await ctx.step('GIVEN shell 7');
    }),
    ts('THEN', /all good/, (ctx) => {
      const r = ctx.vars.get('r') as { exitCode: number; stdout: string };
      if (r.exitCode !== 4 || r.stdout !== 'hi\n') throw new Error('bad run result');
      if (ctx.lastRun !== r) throw new Error('lastRun');
    }),
  ];
  const { results } = await run(
    '    SCENARIO s\n    WHEN running things\n    THEN all good\n\n    IMPLEMENTS GIVEN shell (\\d+)\n    echo "got $MATCH_1"\n',
    impls,
  );
  assert.equal(results[0]!.status, 'passed', JSON.stringify(results[0]!.steps));
  assert.match(results[0]!.steps[0]!.stdout, /got 7/);
});

test('step timeouts kill the step and still run FINALLY (shell and TS)', async () => {
  const impls = [
    ts('WHEN', /hang/, () => new Promise(() => {}), 200),
    ts('FINALLY', /record/, (ctx) => {
      ctx.log('finally ran');
    }),
  ];
  const { results } = await run(
    '    SCENARIO a\n    WHEN sleep\n    THEN ok\n    FINALLY record\n\n    SCENARIO b\n    WHEN hang\n    THEN ok\n    FINALLY record\n\n    IMPLEMENTS WHEN sleep\n    sleep 20\n    IMPLEMENTS THEN ok\n    true\n',
    impls,
    { stepTimeoutMs: 300 },
  );
  for (const r of results) {
    assert.equal(r.status, 'failed');
    assert.equal(r.steps[0]!.status, 'timed-out');
    assert.equal(r.steps.at(-1)!.step.kind, 'FINALLY');
    assert.equal(r.steps.at(-1)!.status, 'passed');
  }
});

test('scenarios run in parallel lanes keep their order in the results; temp dirs are removed', async () => {
  const md: string[] = [];
  for (let i = 0; i < 4; i++) md.push(`    SCENARIO s${i}`, `    THEN wait ${4 - i}`, '');
  md.push('    IMPLEMENTS THEN wait (\\d+)', '    sleep 0.$MATCH_1', '');
  const { results } = await run(md.join('\n'), [], { jobs: 3 });
  assert.deepEqual(
    results.map((r) => r.scenario.name),
    ['s0', 's1', 's2', 's3'],
  );
  assert.ok(results.every((r) => r.status === 'passed'));
  assert.ok(results.every((r) => r.datadir && !existsSync(r.datadir)));
});

test('fresh-process mode behaves the same for a plain step', async () => {
  const { results } = await run(
    '    SCENARIO s\n    THEN ok\n\n    IMPLEMENTS THEN ok\n    test -n "$DATADIR"; echo "$0"\n',
    [],
    {
      freshShell: true,
    },
  );
  assert.equal(results[0]!.status, 'passed');
  assert.match(results[0]!.steps[0]!.stdout, /step-1\.sh/);
});

test('each scenario sent ahead runs after the one before it ended, also after a failure and a timeout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-suite-ahead-'));
  try {
    const log = join(dir, 'log');
    const { results } = await run(
      [
        '    SCENARIO one',
        '    WHEN slowly 1',
        '    THEN fail',
        '',
        '    SCENARIO two',
        '    WHEN append 2',
        '    THEN hang',
        '',
        '    SCENARIO three',
        '    WHEN append 3',
        '    THEN the log is 1 2 3',
        '',
        '    IMPLEMENTS WHEN slowly (\\d+)',
        '    sleep 0.2; echo "$MATCH_1" >> "$LOG"',
        '    IMPLEMENTS WHEN append (\\d+)',
        '    echo "$MATCH_1" >> "$LOG"',
        '    IMPLEMENTS THEN fail',
        '    exit 1',
        '    IMPLEMENTS THEN hang',
        '    sleep 10',
        '    IMPLEMENTS THEN the log is (.*)',
        '    test "$(tr "\\n" " " < "$LOG")" = "$MATCH_1 "',
      ].join('\n'),
      [],
      {
        stepTimeoutMs: 3000,
        env: { extra: [['LOG', log]], srcdir: dir, shell: '/bin/sh', path: process.env.PATH },
      },
    );
    assert.deepEqual(
      results.map((r) => `${r.scenario.name} ${r.status} ${r.steps.map((s) => s.status).join(',')}`),
      ['one failed passed,failed', 'two failed passed,timed-out', 'three passed passed,passed'],
    );
    assert.equal(readFileSync(log, 'utf8'), '1\n2\n3\n');
    // Durations are the shell's, not the time a scenario waited to be reported.
    assert.ok(results[0]!.steps[0]!.durationMs >= 150);
    assert.ok(results[1]!.steps[1]!.durationMs >= 2900);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an interrupt stops the scenario sent ahead too and removes its directories', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-suite-ahead-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  let poll: NodeJS.Timeout | undefined;
  try {
    const log = join(dir, 'log');
    const interrupt = new AbortController();
    // Ctrl-C once scenario one's step runs (its marker file appears), with scenario two behind it.
    poll = setInterval(() => {
      if (existsSync(`${log}.started`)) {
        clearInterval(poll);
        interrupt.abort();
      }
    }, 20);
    const { results } = await run(
      '    SCENARIO one\n    WHEN slowly 1\n\n    SCENARIO two\n    WHEN append 2\n\n' +
        '    IMPLEMENTS WHEN slowly (\\d+)\n    touch "$LOG.started"; sleep 10; echo "$MATCH_1" >> "$LOG"\n' +
        '    IMPLEMENTS WHEN append (\\d+)\n    echo "$MATCH_1" >> "$LOG"\n',
      [],
      { env: { extra: [['LOG', log]], srcdir: dir, shell: '/bin/sh', path: process.env.PATH } },
      interrupt.signal,
    );
    assert.deepEqual(
      results.map((r) => `${r.scenario.name} ${r.status}`),
      ['one failed'],
    );
    assert.equal(existsSync(log), false);
    assert.deepEqual(readdirSync(dir), ['log.started']);
  } finally {
    clearInterval(poll);
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
