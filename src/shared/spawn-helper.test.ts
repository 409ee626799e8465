import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SpawnHelper } from './spawn-helper.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

test('the helper runs commands at once, with their own outputs, exit codes, input, cwd and env', async () => {
  const helper = new SpawnHelper('python3');
  try {
    const dir = mkdtempSync(join(tmpdir(), 'spawn-helper-'));
    const big = 'x'.repeat(3 * 1024 * 1024);
    const [echo, failed, input, where, environment, binary, large] = await Promise.all([
      helper.run({ argv: ['sh', '-c', 'echo out; echo err >&2'], env }),
      helper.run({ argv: ['sh', '-c', 'sleep 0.2; exit 7'], env }),
      helper.run({ argv: ['wc', '-c'], env, input: big }),
      helper.run({ argv: ['pwd'], env, cwd: dir }),
      helper.run({ argv: ['env'], env: { ...env, ONLY: 'this', GONE: undefined } }),
      helper.run({ argv: ['head', '-c', String(big.length)], env, input: Buffer.from(big) }),
      helper.run({ argv: ['sh', '-c', 'head -c 20971520 /dev/zero; echo tail >&2'], env }),
    ]);
    assert.deepEqual([echo.exitCode, echo.stdout.toString(), echo.stderr.toString()], [0, 'out\n', 'err\n']);
    assert.equal(failed.exitCode, 7);
    assert.equal(input.stdout.toString().trim(), String(big.length));
    assert.equal(where.stdout.toString().trim(), dir);
    assert.deepEqual(environment.stdout.toString().trim().split('\n').sort(), [
      `ONLY=this`,
      `PATH=${env.PATH}`,
    ]);
    assert.equal(binary.stdout.length, big.length);
    assert.equal(large.stdout.length, 20 * 1024 * 1024);
    assert.ok(large.stdout.every((byte) => byte === 0));
    assert.equal(large.stderr.toString(), 'tail\n');
    rmSync(dir, { recursive: true });
  } finally {
    await helper.close();
  }
});

test('a command killed by a signal reports 128 + its number; one that cannot start is an ENOENT error', async () => {
  const helper = new SpawnHelper('python3');
  try {
    const killed = await helper.run({ argv: ['sh', '-c', 'kill -ABRT $$'], env });
    assert.equal(killed.exitCode, 134);
    await assert.rejects(helper.run({ argv: ['/no/such/program'], env }), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOENT');
      assert.match(err.message, /spawn \/no\/such\/program ENOENT/);
      return true;
    });
    // The helper goes on after a failure.
    assert.equal((await helper.run({ argv: ['true'], env })).exitCode, 0);
  } finally {
    await helper.close();
  }
});

test('an abort rejects at once with an AbortError and terminates the command', async () => {
  const helper = new SpawnHelper('python3');
  try {
    const controller = new AbortController();
    const started = Date.now();
    const running = helper.run({ argv: ['sleep', '30'], env, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(running, { name: 'AbortError' });
    assert.ok(Date.now() - started < 5000);
    const pids = await helper.run({ argv: ['sh', '-c', 'sleep 0.2; pgrep -x -f "sleep 30" || true'], env });
    assert.equal(pids.stdout.toString(), '');
    const already = new AbortController();
    already.abort();
    await assert.rejects(helper.run({ argv: ['true'], env, signal: already.signal }), { name: 'AbortError' });
  } finally {
    await helper.close();
  }
});

test('commands fail, not hang, when the helper dies; the next command starts a new helper', async () => {
  const helper = new SpawnHelper('python3');
  try {
    const running = helper.run({ argv: ['sleep', '30'], env });
    const own = await helper.run({ argv: ['sh', '-c', 'echo $PPID'], env });
    process.kill(Number(own.stdout.toString()), 'SIGKILL');
    await assert.rejects(running, /the spawn helper ended/);
    assert.equal((await helper.run({ argv: ['echo', 'again'], env })).stdout.toString(), 'again\n');
  } finally {
    await helper.close();
  }
});

test('an idle helper does not keep its process alive, and its commands end when that process is killed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spawn-helper-'));
  try {
    const module = fileURLToPath(new URL('./spawn-helper.js', import.meta.url));
    const script = `
      import { SpawnHelper } from ${JSON.stringify(module)};
      const helper = new SpawnHelper('python3');
      const env = { PATH: process.env.PATH };
      const first = await helper.run({ argv: ['echo', 'done'], env });
      process.stdout.write(first.stdout);
      if (process.argv[1] === 'hang') {
        helper.run({ argv: ['sh', '-c', 'echo $$ > ${dir}/pid; exec sleep 30'], env });
      }`;
    // Exits by itself once its command answered (no close()).
    const quick = await runNode(['--input-type=module', '-e', script]);
    assert.equal(quick.stdout, 'done\n');
    assert.equal(quick.code, 0);
    // Killed with a command running: the helper terminates the command.
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, 'hang'], { stdio: 'ignore' });
    const pidFile = join(dir, 'pid');
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGKILL');
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, 'the command outlived the killed process');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function runNode(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}
