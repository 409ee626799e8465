import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findTooDeep } from './nesting-depth.js';

test('flow, block and list nesting beyond the limit is found with its line; real definitions pass', () => {
  assert.deepEqual(findTooDeep(`a: 1\nb: ${'['.repeat(70)}${']'.repeat(70)}\n`, 64)?.line, 2);
  assert.equal(findTooDeep(`${'- '.repeat(100)}x\n`, 64)?.line, 1);
  const block = Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
  assert.ok(findTooDeep(block, 64));
  const chunk = [
    'name: x',
    'kind: chunk',
    'build-commands:',
    '- |',
    '      if [ -f "a[b" ]; then { echo "{[[[["; }',
    '          fi',
    "- 'it''s [ok'",
    '- make # [[[[',
    'products:',
    '- artifact: x-bins',
    '  include: [ "(usr/)?bin/.*" ]',
  ].join('\n');
  assert.equal(findTooDeep(chunk, 8), undefined);
});
