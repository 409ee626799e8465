import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const work = mkdtempSync(join(tmpdir(), 'yarn-run-cli-test-'));
const tmp = join(work, 'tmp');
after(() => rmSync(work, { recursive: true, force: true }));

function write(name: string, text: string): string {
  writeFileSync(join(work, name), text);
  return name;
}

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  rmSync(tmp, { recursive: true, force: true });
  require_dir(tmp);
  const r = spawnSync(process.execPath, [main, ...args], {
    cwd: work,
    env: { PATH: process.env.PATH, TMPDIR: tmp },
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function require_dir(path: string): void {
  spawnSync('mkdir', ['-p', path]);
}

const suite = write(
  'suite.md',
  [
    '    SCENARIO passes',
    '    GIVEN a thing',
    '    THEN it is fine',
    '',
    '    SCENARIO fails',
    '    GIVEN a thing',
    '    THEN it breaks',
    '',
    '    SCENARIO skips',
    '    ASSUMING never',
    '    THEN it is fine',
    '',
    '    IMPLEMENTS GIVEN a thing',
    '    touch "$DATADIR/thing"',
    '    IMPLEMENTS THEN it is fine',
    '    test -e "$DATADIR/thing" || true',
    '    IMPLEMENTS THEN it breaks',
    '    echo broken >&2; exit 7',
    '    IMPLEMENTS ASSUMING never',
    '    false',
  ].join('\n'),
);

test('a mixed run: verbose lines, failure report, failed list, last line, exit 1, no temp dir left', () => {
  const r = run(['-v', suite]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^Running scenario passes$/m);
  assert.match(r.stdout, /^ {4}Running step "THEN it breaks"$/m);
  assert.match(r.stderr, /^ERROR: In scenario "fails"\nstep "THEN it breaks" failed,\nwith exit code 7:$/m);
  assert.match(r.stderr, /Failed scenarios:\n {4}- fails\nERROR: Test suite FAILED in 1 scenarios\n/);
  assert.ok(r.stdout.endsWith('1 passed, 1 failed, 1 skipped\n'), r.stdout);
  assert.deepEqual(readdirSync(tmp), []);
});

test('-r selects, --shard slices, -j keeps the order', () => {
  const r = run(['-v', '-j', '2', '-r', 'SKIPS', '-r', 'passes', suite]);
  assert.equal(r.status, 0);
  assert.deepEqual(
    [...r.stdout.matchAll(/^Running scenario (.*)$/gm)].map((m) => m[1]),
    ['skips', 'passes'],
  );
  const s = run(['-v', '--shard', '2/2', suite]);
  assert.deepEqual(
    [...s.stdout.matchAll(/^Running scenario (.*)$/gm)].map((m) => m[1]),
    ['fails'],
  );
});

test('usage errors exit 2, input errors exit 1, one ERROR line with the location and no stack', () => {
  const usage = run(['--no-such-option', suite]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^ERROR: no such option: --no-such-option$/m);
  const bad = write('bad.md', '    SCENARIO x\n    THEN ok\n    bogus line\n');
  const syntax = run([bad]);
  assert.equal(syntax.status, 1);
  assert.equal(syntax.stderr, 'ERROR: Syntax error: unknown step: bogus line (at bad.md:3)\n');
  const badRegex = write('regex.md', '    SCENARIO x\n    THEN ok\n\n    IMPLEMENTS THEN (ok\n    true\n');
  const rr = run([badRegex]);
  assert.equal(rr.status, 1);
  assert.match(rr.stderr, /^ERROR: Bad IMPLEMENTS regex "\(ok": .* \(at regex\.md:4\)$/m);
  assert.doesNotMatch(rr.stderr, /\n\s+at /);
  const badModule = write('broken.ts', 'export default [ this is not typescript');
  const mod = run(['--steps', 'broken.ts', suite]);
  assert.equal(mod.status, 1);
  assert.match(mod.stderr, /^ERROR: cannot load step module .*broken\.ts: .*\(at .*broken\.ts:1\)$/m);
  assert.deepEqual(readdirSync(tmp), []);
  void badModule;
});

test('undefined step: snippets in both forms', () => {
  const f = write('undef.md', '    SCENARIO x\n    THEN there are 3 "apples"\n');
  const r = run([f]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^ERROR: Scenario "x", step "THEN there are 3 "apples"" has no matching implementation \(at undef\.md:2\)$/m,
  );
  assert.match(r.stderr, /IMPLEMENTS THEN there are \(\\d\+\(\?:\\\.\\d\+\)\?\) "\(\[\^"\]\*\)"/);
  assert.match(r.stderr, /step\('THEN', \/\^there are/);
});

test('--format json to --output, --list --format json, lint', () => {
  const out = join(work, 'report.json');
  const r = run(['-q', '--format', 'json', '--output', out, suite]);
  assert.equal(r.status, 1);
  const data = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(data.summary, {
    passed: 1,
    failed: 1,
    skipped: 1,
    flaky: 0,
    durationMs: data.summary.durationMs,
  });
  const list = JSON.parse(run(['--list', '--format', 'json', suite]).stdout);
  assert.equal(list.scenarios[1].steps[1].implementation.location, 'suite.md:17');
  const lint = run(['lint', suite]);
  assert.equal(lint.status, 0, lint.stdout);
});

test('--keep-failed keeps the failed DATADIR and prints a re-run command', () => {
  const r = run(['-q', '--keep-failed', suite]);
  assert.equal(r.status, 1);
  const m = /kept DATADIR of failed scenario "fails": (\S+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.deepEqual(readdirSync(m[1]!).sort(), ['HOME', 'thing']);
  assert.match(r.stderr, /re-run it: .* -r fails$/m);
});

test('what a passing step printed reaches a report and the log, and a failing step’s the terminal', () => {
  const printing = write(
    'printing.md',
    [
      '    SCENARIO prints',
      '    WHEN it prints hello',
      '    THEN it prints bye and fails',
      '',
      '    IMPLEMENTS WHEN it prints (.*)',
      '    echo "$MATCH_1"',
      '    IMPLEMENTS THEN it prints (.*) and fails',
      '    echo "$MATCH_1"; exit 1',
    ].join('\n'),
  );
  const json = run(['--format', 'json', printing]);
  const steps = (JSON.parse(json.stdout) as { scenarios: { steps: { stdout: string }[] }[] }).scenarios[0]!
    .steps;
  assert.deepEqual(
    steps.map((s) => s.stdout),
    ['hello\n', 'bye\n'],
  );
  const log = join(work, 'printing.log');
  run(['-q', '--log', log, printing]);
  assert.match(readFileSync(log, 'utf8'), /hello/);
  const plain = run([printing]);
  assert.match(plain.stderr, /bye/);
});

test('the yarn-run.cjs bundle runs, and runs main.js instead when main.js is newer', () => {
  const bundle = join(dirname(main), 'yarn-run.cjs');
  const v = spawnSync(process.execPath, [bundle, '--version'], { encoding: 'utf8' });
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^yarn-run /);
  // A copy of the bundle beside a main.js written after it (as tsc leaves a tree it rebuilt alone).
  const dir = mkdtempSync(join(work, 'stale-'));
  writeFileSync(join(dir, 'yarn-run.cjs'), readFileSync(bundle));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'main.js'), "process.stdout.write('per-file main.js\\n');\n");
  utimesSync(join(dir, 'yarn-run.cjs'), new Date(1000_000), new Date(1000_000));
  const stale = spawnSync(process.execPath, [join(dir, 'yarn-run.cjs'), '--version'], { encoding: 'utf8' });
  assert.equal(stale.stdout, 'per-file main.js\n');
});
