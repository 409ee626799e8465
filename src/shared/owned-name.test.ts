import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
