import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChunkMorphology, StratumMorphology } from '../model.js';
import {
  artifactNames,
  chunkSplitRules,
  matchRule,
  pythonMatch,
  stratumSplitRules,
} from './artifact-split.js';

const chunk = {
  name: 'c',
  products: [{ artifact: 'c-extra', include: ['etc/.*'] }],
} as unknown as ChunkMorphology;

test('chunk rules: products first, then defaults; prefix matches', () => {
  const rules = chunkSplitRules(chunk);
  assert.deepEqual(artifactNames(rules), [
    'c-extra',
    'c-bins',
    'c-libs',
    'c-devel',
    'c-doc',
    'c-locale',
    'c-misc',
  ]);
  assert.equal(matchRule(rules, 'etc/test.d/x'), 'c-extra');
  assert.equal(matchRule(rules, 'usr/bin/x'), 'c-bins');
  assert.equal(matchRule(rules, 'usr/lib/libtest.so.1.2'), 'c-libs');
  assert.equal(matchRule(rules, 'usr/lib/libtest.so.1.2.garbage'), 'c-libs', 'prefix match');
  assert.equal(matchRule(rules, 'libexec/x'), 'c-misc', 'usr/ is mandatory before libexec');
  assert.equal(matchRule(rules, 'usr/libexec/x'), 'c-libs');
  assert.equal(matchRule(rules, 'usr/lib64/pkgconfig/x.pc'), 'c-devel');
  assert.equal(matchRule(rules, 'usr/share/zoneinfo/UTC'), 'c-locale');
  assert.equal(matchRule(rules, 'usr/bin'), 'c-misc');
});

test('stratum defaults yield -devel and -runtime unless products override them', () => {
  const stratum = { name: 's', products: [] } as unknown as StratumMorphology;
  const rules = stratumSplitRules(stratum);
  assert.equal(matchRule(rules, 'c-doc'), 's-devel');
  assert.equal(matchRule(rules, 'c-misc'), 's-runtime');
  const own = {
    name: 's',
    products: [{ artifact: 's-runtime', include: ['x-.*'] }],
  } as unknown as StratumMorphology;
  assert.deepEqual(artifactNames(stratumSplitRules(own)), ['s-runtime', 's-devel']);
});

test('Python named groups are translated', () => {
  assert.ok(pythonMatch('(?P<a>x)(?P=a)', 'xx'));
});
