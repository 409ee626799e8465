import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fakeContext } from './fake-context.js';
import { bootImage } from './qemu-boot.js';

/** Whether a process whose command line mentions `text` is still running. */
function running(text: string): boolean {
  return spawnSync('pgrep', ['-f', text]).status === 0;
}

test('a guest that never powers off is stopped at the timeout, with its process group', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qemu-boot-'));
  const ctx = fakeContext(dir);
  try {
    const consoleFile = join(dir, 'timeout.console');
    // No disk and no kernel: the firmware finds nothing to boot and waits.
    const result = await bootImage(ctx, { consoleFile, timeoutMs: 2000, accel: 'tcg' });
    assert.equal(result.end, 'timeout');
    assert.ok(result.seconds >= 2 && result.seconds < 15, `${result.seconds} s`);
    assert.equal(result.panicLine, undefined);
    assert.equal(running(consoleFile), false);
  } finally {
    for (const cleanup of ctx.cleanups) await cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a guest that uses more CPU time than allowed is stopped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qemu-boot-'));
  const ctx = fakeContext(dir);
  try {
    const consoleFile = join(dir, 'cpu.console');
    const result = await bootImage(ctx, { consoleFile, timeoutMs: 60_000, cpuLimitMs: 1, accel: 'tcg' });
    assert.equal(result.end, 'timeout');
    assert.ok(result.seconds < 15, `${result.seconds} s`);
    assert.equal(running(consoleFile), false);
  } finally {
    for (const cleanup of ctx.cleanups) await cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});

test('aborting the step stops QEMU at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qemu-boot-'));
  const abort = new AbortController();
  const ctx = { ...fakeContext(dir), signal: abort.signal };
  try {
    const consoleFile = join(dir, 'abort.console');
    setTimeout(() => abort.abort(), 500);
    const result = await bootImage(ctx, { consoleFile, timeoutMs: 60_000, accel: 'tcg' });
    assert.equal(result.end, 'exited');
    assert.ok(result.seconds < 15, `${result.seconds} s`);
    assert.equal(running(consoleFile), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
