import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ChunkMorphology } from '../../model.js';
import { runChunkCommands } from './run-chunk-commands.js';

const isRoot = process.getuid?.() === 0;

function chunk(commands: string[]): ChunkMorphology {
  return { kind: 'chunk', name: 'hung', 'build-commands': commands } as unknown as ChunkMorphology;
}

test('--build-timeout kills a hung command and everything it started, and says so', async () => {
  const top = await mkdtemp(join(tmpdir(), 'build-timeout-'));
  try {
    const work = join(top, 'work');
    await mkdir(work);
    const started = Date.now();
    const failure = await runChunkCommands({
      morphology: chunk(['(sleep 600.25 &) ; sleep 600.5', 'echo never']),
      sandbox: { kind: 'host', writable: [work], cwd: work },
      env: { PATH: '/usr/bin:/bin' },
      maxJobs: 1,
      logPath: join(top, 'log'),
      scratchDir: top,
      timeoutSeconds: 1,
    });
    assert.equal(failure?.timedOutAfter, 1);
    assert.ok(Date.now() - started < 20_000);
    assert.match(await readFile(join(top, 'log'), 'utf8'), /--build-timeout/);
    assert.doesNotMatch(await readFile(join(top, 'log'), 'utf8'), /never/);
    const left = spawnSync('pgrep', ['-f', 'sleep 600\\.(25|5)'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(left, '', `still running: ${left}`);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('no timeout by default; a command filling its disk fails with ENOSPC in its output', {
  skip: !isRoot,
}, async () => {
  const top = await mkdtemp(join(tmpdir(), 'build-enospc-'));
  const work = join(top, 'work');
  await mkdir(work);
  try {
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'morph-enospc-test', work]).status, 0);
    const failure = await runChunkCommands({
      morphology: chunk(['sleep 1.5', 'dd if=/dev/zero of=big bs=64k count=64']),
      sandbox: { kind: 'host', writable: [work], cwd: work },
      env: { PATH: '/usr/bin:/bin' },
      maxJobs: 1,
      logPath: join(top, 'log'),
      scratchDir: top,
    });
    assert.equal(failure?.timedOutAfter, undefined);
    assert.equal(failure?.step, 'build');
    assert.match(await readFile(join(top, 'log'), 'utf8'), /No space left on device/);
  } finally {
    spawnSync('umount', [work]);
    await rm(top, { recursive: true, force: true });
  }
});
