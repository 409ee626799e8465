import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isOrphaned, isProcessAlive, ownedPrefix, ownerOf } from './owned-name.js';

test('an owned name records its pid; dead owners make orphans', () => {
  assert.equal(ownedPrefix('deploy-', 42), 'deploy-p42-');
  assert.equal(ownerOf('deploy-p42-AbC123'), 42);
  assert.equal(ownerOf('.image.raw.morph-partial-p7-x'), 7);
  assert.equal(ownerOf('deploy-AbC123'), undefined);
  assert.equal(isOrphaned(`${ownedPrefix('x-')}abcdef`), false);
  const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
  assert.equal(isProcessAlive(Number(dead)), false);
  assert.equal(isOrphaned(`deploy-p${dead}-abcdef`), true);
  assert.equal(isOrphaned('deploy-abcdef'), false);
  assert.equal(isProcessAlive(1), true);
});

test('a zombie owner is dead: its leftovers are orphans', async () => {
  // The child exits at once; this process does not reap it while the check runs.
  const { spawn } = await import('node:child_process');
  const child = spawn('sh', ['-c', 'exit 0'], { stdio: 'ignore' });
  const pid = child.pid as number;
  const deadline = Date.now() + 5000;
  while (!/\) Z /.test(readStat(pid)) && Date.now() < deadline)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  assert.match(readStat(pid), /\) Z /);
  assert.equal(isProcessAlive(pid), false);
  assert.equal(isOrphaned(`deploy-p${pid}-abcdef`), true);
});

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}
