import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StratumMorphology } from '../../model.js';
import { StratumClosures } from './stratum-closures.js';

function stratum(name: string, deps: string[], chunks: number): StratumMorphology {
  return {
    kind: 'stratum',
    name,
    description: '',
    'build-depends': deps.map((morph) => ({ morph })),
    chunks: Array.from({ length: chunks }, (_, i) => ({ name: `${name}-${i}`, repo: 'r', ref: 'm' })),
    products: [],
  } as unknown as StratumMorphology;
}

test('closures complete build-depends first, once each, when their chunks are resolved', () => {
  // In traversal order (the system's strata first), as resolveDefinitions reads them.
  const strata = new Map([
    ['top', stratum('top', ['mid', 'base'], 1)],
    ['other', stratum('other', [], 0)],
    ['mid', stratum('mid', ['base'], 2)],
    ['base', stratum('base', [], 1)],
  ]);
  const closures = new StratumClosures(strata);
  assert.deepEqual(closures.order, ['base', 'mid', 'top', 'other']);
  assert.deepEqual(closures.closure('top'), ['base', 'mid', 'top']);
  assert.deepEqual(closures.closure('mid'), ['base', 'mid']);
  // A stratum without chunks is complete at once.
  assert.deepEqual(closures.newlyComplete(), ['other']);
  // top's own chunk first: its closure still waits for mid and base.
  closures.chunkResolved('top');
  assert.deepEqual(closures.newlyComplete(), []);
  closures.chunkResolved('base');
  assert.deepEqual(closures.newlyComplete(), ['base']);
  closures.chunkResolved('mid');
  assert.deepEqual(closures.newlyComplete(), []);
  closures.chunkResolved('mid');
  assert.deepEqual(closures.newlyComplete(), ['mid', 'top']);
  assert.deepEqual(closures.newlyComplete(), []);
});

test('a build-depends cycle does not recurse forever (createBuildGraph reports it)', () => {
  const strata = new Map([
    ['a', stratum('a', ['b'], 1)],
    ['b', stratum('b', ['a'], 1)],
  ]);
  const closures = new StratumClosures(strata);
  assert.deepEqual(closures.order, ['b', 'a']);
  assert.deepEqual(closures.closure('a'), ['b', 'a']);
  closures.chunkResolved('a');
  closures.chunkResolved('b');
  assert.deepEqual(closures.newlyComplete(), ['b', 'a']);
});
