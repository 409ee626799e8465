import assert from 'node:assert/strict';
import { test } from 'node:test';
import { literalPrefix } from './step-registry.js';

test('literal prefixes are safe under-approximations', () => {
  assert.equal(literalPrefix('s12 step (\\d+)'), 's12 step ');
  assert.equal(literalPrefix('^The File'), 'the file');
  assert.equal(literalPrefix('abc*d'), 'ab');
  assert.equal(literalPrefix('abc?'), 'ab');
  assert.equal(literalPrefix('ab{2}'), 'a');
  assert.equal(literalPrefix('ab+c'), 'ab');
  assert.equal(literalPrefix('foo|bar'), '');
  assert.equal(literalPrefix('(?i)x'), '');
  assert.equal(literalPrefix('äpfel'), '');
  assert.equal(literalPrefix('a.b'), 'a');
  assert.equal(literalPrefix('a b(?x)'), '');
});
