import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError, quoteArg, runCommand, runPipeline } from './exec.js';
import { spawnHelper, useSpawnHelper } from './spawn-helper.js';

// Every test runs twice: commands started by Node's spawn, then by the spawn helper (morph's way).
for (const mode of ['spawn', 'spawn helper'] as const) {
  test(`(${mode}) commands start by ${mode}`, async () => {
    if (mode === 'spawn helper') {
      useSpawnHelper();
      // The first command starts the helper (and itself by spawn); the next go through it.
      const first = await runCommand(['sh', '-c', 'echo $PPID']);
      assert.equal(first.stdout.trim(), String(process.pid));
      const helper = spawnHelper();
      assert.ok(helper);
      for (let i = 0; i < 500 && !helper.ready; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(helper.ready);
    }
    const parent = await runCommand(['sh', '-c', 'echo $PPID']);
    assert.equal(parent.stdout.trim() === String(process.pid), mode === 'spawn');
  });

  test(`(${mode}) runCommand collects stdout, stderr and the exit code`, async () => {
    const ok = await runCommand(['sh', '-c', 'echo out; echo err >&2'], { input: '' });
    assert.deepEqual(ok, { exitCode: 0, stdout: 'out\n', stderr: 'err\n' });
    const failed = await runCommand(['sh', '-c', 'exit 3'], { allowFailure: true });
    assert.equal(failed.exitCode, 3);
    await assert.rejects(runCommand(['sh', '-c', 'echo why >&2; exit 4']), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.code, 'COMMAND_FAILED');
      assert.equal(err.result?.exitCode, 4);
      return true;
    });
  });

  test(`(${mode}) a command killed by a signal reports 128 + the signal number`, async () => {
    const killed = await runCommand(['sh', '-c', 'kill -TERM $$'], { allowFailure: true });
    assert.equal(killed.exitCode, 143);
    const aborted = await runCommand(['sh', '-c', 'kill -ABRT $$'], { allowFailure: true });
    assert.equal(aborted.exitCode, 134);
  });

  test(`(${mode}) an aborted command rejects with a CommandError whose cause is the AbortError`, async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(runCommand(['sleep', '20'], { signal: controller.signal }), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal((err.cause as Error).name, 'AbortError');
      return true;
    });
  });

  test(`(${mode}) a command that cannot start is a CommandError without a result`, async () => {
    await assert.rejects(runCommand(['/no/such/program']), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.result, undefined);
      return true;
    });
  });

  test(`(${mode}) runPipeline chains stdout and reports the first failing exit code`, async () => {
    const chained = await runPipeline([['printf', 'b\\na\\n'], ['sort'], ['tr', 'a-z', 'A-Z']]);
    assert.equal(chained.stdout, 'A\nB\n');
    const failed = await runPipeline(
      [
        ['sh', '-c', 'echo x; exit 2'],
        ['cat', '-'],
      ],
      { allowFailure: true },
    );
    assert.equal(failed.exitCode, 2);
    assert.equal(failed.stdout, 'x\n');
    await assert.rejects(runPipeline([['true'], ['false']]), /command failed: true \| false/);
  });
}

test('quoteArg quotes only what a shell would split or expand', () => {
  assert.equal(quoteArg('plain/path-1.0'), 'plain/path-1.0');
  assert.equal(quoteArg("it's here"), `'it'\\''s here'`);
});
