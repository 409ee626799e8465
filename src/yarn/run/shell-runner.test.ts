import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FreshShell } from './fresh-shell.js';
import { PersistentShell } from './persistent-shell.js';
import { canPersist } from './shell-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'shell-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A persistent shell with `args` in a new lane directory `name`. */
function laneShell(name: string, args: readonly string[]): { lane: string; shell: PersistentShell } {
  const lane = join(dir, name);
  mkdirSync(lane);
  return { lane, shell: new PersistentShell(lane, '/bin/sh', args, process.cwd()) };
}

/** A step of the series tests: run in the test's directory with only PATH. */
function step(script: string, timeoutMs?: number) {
  return { script, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: dir, timeoutMs };
}

test('persistence is only used for dash-like shells and set-compatible flags', () => {
  assert.equal(canPersist('/bin/sh', ['-xeu']), true);
  assert.equal(canPersist('/bin/sh', ['-c']), false);
  assert.equal(canPersist('/bin/bash', ['-xeu']), false);
  assert.equal(canPersist('/no/such/shell', []), false);
});

test('the persistent shell: clean env, cwd, no OLDPWD, -e, exit codes, survives a kill of itself', async () => {
  const { lane, shell } = laneShell('lane', ['-eu']);
  const work = join(dir, 'work');
  mkdirSync(work);
  try {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ONLY: 'this' };
    const r1 = await shell.run({ script: 'env | sort; pwd; false; echo not reached', env, cwd: work });
    assert.equal(r1.exitCode, 1);
    assert.deepEqual(
      r1.stdout
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => l.slice(0, l.indexOf('=')))
        // Node itself adds NODE_V8_COVERAGE to every child while c8 measures this test.
        .filter((name) => name !== 'NODE_V8_COVERAGE'),
      ['ONLY', 'PATH', 'PWD'],
    );
    assert.match(r1.stdout, new RegExp(`^${work}$`, 'm'));
    assert.doesNotMatch(r1.stdout, /not reached/);
    const r2 = await shell.run({ script: 'kill -9 $$', env, cwd: work });
    assert.notEqual(r2.exitCode, 0);
    const r3 = await shell.run({ script: 'echo "$0"; exit 3', env, cwd: work });
    assert.equal(r3.exitCode, 3);
    assert.equal(r3.stdout, `${join(lane, 'step.sh')}\n`);
    const r4 = await shell.run({ script: 'sleep 10', env, cwd: work, timeoutMs: 100 });
    assert.equal(r4.timedOut, true);
  } finally {
    await shell.close();
  }
});

test('the fresh shell reports a signal as a negative exit code, like the reference', async () => {
  const lane = join(dir, 'fresh');
  mkdirSync(lane);
  const shell = new FreshShell(lane, '/bin/sh', ['-e']);
  const r = await shell.run({ script: 'kill -9 $$', env: { PATH: process.env.PATH ?? '' }, cwd: dir });
  assert.equal(r.exitCode, -9);
  await shell.close();
});

test('a series in the persistent shell: steps isolated, outputs per step, stops at the first failure', async () => {
  const { lane, shell } = laneShell('series', ['-xeu']);
  try {
    const events: string[] = [];
    const outcomes: { exitCode: number; stdout: string; stderr: string }[] = [];
    await shell.runSeries(
      [
        step('cd /; X=leaked; export Y=leaked; echo one'),
        step('pwd; echo "$' + '{X:-unset} $' + '{Y:-unset}"; false; echo not reached'),
        step('echo never'),
      ],
      {
        started: (i) => {
          events.push(`start ${i}`);
          return undefined;
        },
        finished: (i, outcome) => {
          events.push(`end ${i}`);
          outcomes.push(outcome);
        },
      },
    );
    assert.deepEqual(events, ['start 0', 'end 0', 'start 1', 'end 1']);
    assert.equal(outcomes[0]!.exitCode, 0);
    assert.equal(outcomes[0]!.stdout, 'one\n');
    assert.equal(outcomes[1]!.exitCode, 1);
    assert.equal(outcomes[1]!.stdout, `${dir}\nunset unset\n`);
    assert.match(outcomes[1]!.stderr, /^\+ false$/m);
    // `exit` in one step ends that step only; a timeout ends the series there.
    const ends: number[] = [];
    const timedOut: boolean[] = [];
    await shell.runSeries([step('exit 0'), step('sleep 10'), step('echo never')], {
      started: (i) => (i === 1 ? 100 : undefined),
      finished: (i, outcome) => {
        ends.push(i);
        timedOut.push(outcome.timedOut);
      },
    });
    assert.deepEqual(ends, [0, 1]);
    assert.deepEqual(timedOut, [false, true]);
    const after = await shell.run(step('echo "$0"'));
    assert.equal(after.stdout, `${join(lane, 'step.sh')}\n`);
  } finally {
    await shell.close();
  }
});

test('a series sent ahead runs when the one before it ends; what it did waits for its caller', async () => {
  const { shell } = laneShell('ahead', ['-eu']);
  try {
    // Only the hanging step has a timeout: a busy machine must not time out the others.
    const log = (events: string[], timeoutMs?: number) => ({
      started: (i: number) => {
        events.push(`start ${i}`);
        return timeoutMs;
      },
      finished: (i: number, o: { exitCode: number; stdout: string; timedOut: boolean }) => {
        events.push(`end ${i} ${o.exitCode}${o.timedOut ? ' timed out' : ''} ${o.stdout.trim()}`);
      },
    });
    // The running series fails at its first step; the one behind it still runs, after it.
    const first: string[] = [];
    const running = shell.runSeries(
      [step('sleep 0.1; echo one > ahead-order; false'), step('echo never')],
      log(first),
    );
    const ahead = shell.prepare([step('cat ahead-order; echo two >> ahead-order'), step('echo three')]);
    assert.ok(ahead);
    await running;
    assert.deepEqual(first, ['start 0', 'end 0 1 ']);
    // Both statuses come before anyone listens; the caller hears them on attaching.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second: string[] = [];
    await ahead.run(log(second));
    assert.deepEqual(second, ['start 0', 'end 0 0 one', 'start 1', 'end 1 0 three']);
    // A timeout kills the shell with what waited behind the step: that goes to a new shell.
    const third: string[] = [];
    const hanging = shell.runSeries([step('sleep 10')], log(third, 300));
    const lost = shell.prepare([step('echo four')]);
    await hanging;
    assert.deepEqual(third, ['start 0', 'end 0 137 timed out ']);
    const fourth: string[] = [];
    await lost!.run(log(fourth));
    assert.deepEqual(fourth, ['start 0', 'end 0 0 four']);
    // A series given up is stopped; the shell after it works.
    const given = shell.prepare([step('sleep 10')]);
    const t0 = Date.now();
    await given!.discard();
    assert.ok(Date.now() - t0 < 5000);
    assert.equal((await shell.run(step('echo five'))).stdout, 'five\n');
  } finally {
    rmSync(join(dir, 'ahead-order'), { force: true });
    await shell.close();
  }
});

/** The names a step's `env` lists (without what c8 adds to every child). */
function envNames(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => l.slice(0, l.indexOf('=')))
    .filter((name) => name !== 'NODE_V8_COVERAGE');
}

test('the lane shell exports the run’s own names once; each step still sees exactly its environment', async () => {
  const { shell } = laneShell('lane-env', ['-eu']);
  const path = process.env.PATH ?? '/usr/bin:/bin';
  try {
    // Scenario A's environment, then B's without DATADIR and with another HOME, then one
    // without PATH: what the lane's shell exported for A must not reach B's steps.
    const a = { PATH: path, HOME: '/a', DATADIR: '/a/d', MATCH_1: 'x' };
    const b = { PATH: path, HOME: '/b', IFS: 'z', MATCH_1: 'y' };
    const outcomes: { exitCode: number; stdout: string }[] = [];
    const hooks = {
      started: () => undefined,
      finished: (_: number, o: { exitCode: number; stdout: string }) => outcomes.push(o),
    };
    await shell.runSeries(
      [
        { script: 'env | sort', env: a, cwd: dir },
        { script: 'env | sort', env: { ...a, MATCH_1: 'x2' }, cwd: dir },
      ],
      hooks,
    );
    await shell.runSeries([{ script: 'env | sort', env: b, cwd: dir }], hooks);
    // No PATH here: the shell finds no `env` but `/usr/bin/env`.
    await shell.runSeries([{ script: 'echo "$HOME"; /usr/bin/env', env: { HOME: '/c' }, cwd: dir }], hooks);
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0, 0, 0, 0],
    );
    assert.deepEqual(envNames(outcomes[0]!.stdout), ['DATADIR', 'HOME', 'MATCH_1', 'PATH', 'PWD']);
    assert.match(outcomes[1]!.stdout, /^MATCH_1=x2$/m);
    assert.deepEqual(envNames(outcomes[2]!.stdout), ['HOME', 'IFS', 'MATCH_1', 'PATH', 'PWD']);
    assert.match(outcomes[2]!.stdout, /^HOME=\/b$/m);
    // IFS=z reached the step only, never the lane's shell: the next series still runs.
    assert.deepEqual(envNames(outcomes[3]!.stdout).sort(), ['HOME', 'PWD']);
    assert.match(outcomes[3]!.stdout, /^\/c$/m);
  } finally {
    await shell.close();
  }
});

test('outputs of a passing step are not read when nothing will show them; a failing step’s always are', async () => {
  const { shell } = laneShell('unread', ['-xeu']);
  try {
    const outcomes: { exitCode: number; stdout: string; stderr: string }[] = [];
    const quiet = (script: string) => ({ ...step(script), passedOutput: false });
    await shell.runSeries([quiet('echo one'), step('echo two'), quiet('echo three; false')], {
      started: () => undefined,
      finished: (_, o) => outcomes.push(o),
    });
    assert.deepEqual(
      outcomes.map((o) => [o.exitCode, o.stdout, o.stderr]),
      [
        [0, '', ''],
        [0, 'two\n', '+ echo two\n'],
        [1, 'three\n', '+ echo three\n+ false\n'],
      ],
    );
  } finally {
    await shell.close();
  }
});

test('a series whose statuses are reported at its end: the same outcomes, and the steps see no trace of it', async () => {
  const { shell } = laneShell('batch', ['-eu']);
  try {
    const batched = (script: string) => ({ ...step(script), eachStatus: false });
    const outcomes: { exitCode: number; stdout: string }[] = [];
    const hooks = {
      started: () => undefined,
      finished: (_: number, o: { exitCode: number; stdout: string }) => outcomes.push(o),
    };
    await shell.runSeries(
      [
        batched('echo "one ${yarn_statuses-unset}"'),
        batched('set | grep -c yarn_statuses || true'),
        batched('exit 4'),
        batched('echo not reached'),
      ],
      hooks,
    );
    assert.deepEqual(
      outcomes.map((o) => [o.exitCode, o.stdout]),
      [
        [0, 'one unset\n'],
        [0, '0\n'],
        [4, ''],
      ],
    );
    // A step that kills the lane's shell ends its series (137) and the next series runs.
    outcomes.length = 0;
    await shell.runSeries([batched('true'), batched('kill -9 $$; sleep 5')], hooks);
    assert.notEqual(outcomes.at(-1)?.exitCode, 0);
    outcomes.length = 0;
    await shell.runSeries([batched('echo a'), batched('echo b')], hooks);
    assert.deepEqual(
      outcomes.map((o) => [o.exitCode, o.stdout]),
      [
        [0, 'a\n'],
        [0, 'b\n'],
      ],
    );
  } finally {
    await shell.close();
  }
});
