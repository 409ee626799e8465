import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactRef, escapeRefComponent } from './artifact-ref.js';

test('plain artifact names are kept', () => {
  assert.equal(artifactRef('ab12', 'chunk', 'test-chunk-bins'), 'artifacts/ab12/chunk/test-chunk-bins');
});

test('characters OSTree refuses are escaped one-to-one', () => {
  assert.equal(escapeRefComponent('gtk+-bins'), 'gtk_2b-bins');
  assert.equal(escapeRefComponent('a_b'), 'a_5fb');
  assert.equal(escapeRefComponent('.hidden'), '_2ehidden');
  assert.notEqual(escapeRefComponent('a+'), escapeRefComponent('a_2b'));
});
