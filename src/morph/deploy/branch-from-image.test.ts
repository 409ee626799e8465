import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StratumMorphology, SystemMorphology } from '../model.js';
import { repointMorphology, resolutionMap } from './branch-from-image.js';
import type { ImageRecord } from './image-metadata.js';

const SHA = 'a'.repeat(40);
const OLD = 'b'.repeat(40);

test('the resolution map knows each commit by alias, URL and reverse-mapped aliases', () => {
  const records = [
    {
      file: 'c',
      kind: 'chunk',
      'cache-key': 'k',
      'repo-alias': 'upstream:x',
      repo: 'git://h/x',
      original_ref: 'v1',
      sha1: SHA,
    },
    { file: 'd', kind: 'chunk', repo: 'git://h/y', original_ref: 'v1', sha1: OLD },
  ] as ImageRecord[];
  const map = resolutionMap(records, (url) => (url === 'git://h/x' ? ['test:x'] : []));
  assert.deepEqual([...map.keys()].sort(), ['git://h/x\0v1', 'test:x\0v1', 'upstream:x\0v1']);
});

test('specs of the root repo move to the branch; chunks are petrified from the map', () => {
  const stratum: StratumMorphology = {
    kind: 'stratum',
    name: 'core',
    description: '',
    products: [],
    'build-depends': [{ morph: 'strata/base.morph', repo: 'test:morphs', ref: 'master' }],
    chunks: [
      { name: 'a', repo: 'test:a', ref: 'v1', 'build-depends': [], 'build-mode': 'staging', prefix: '/usr' },
      {
        name: 'b',
        repo: 'test:b',
        ref: OLD,
        'unpetrify-ref': 'v2',
        'build-depends': [],
        'build-mode': 'staging',
        prefix: '/usr',
      },
      {
        name: 'c',
        repo: 'test:c',
        ref: 'unknown',
        'build-depends': [],
        'build-mode': 'staging',
        prefix: '/usr',
      },
    ],
  };
  const map = new Map([
    ['test:a\0v1', SHA],
    [`test:b\0${OLD}`, SHA],
  ]);
  assert.equal(repointMorphology(stratum, 'test:morphs', 'mybranch', map), true);
  assert.deepEqual(stratum['build-depends'][0], {
    morph: 'strata/base.morph',
    repo: 'test:morphs',
    ref: 'mybranch',
    'unpetrify-ref': 'master',
  });
  assert.equal(stratum.chunks[0]!.ref, SHA);
  assert.equal(stratum.chunks[0]!['unpetrify-ref'], 'v1');
  assert.equal(stratum.chunks[1]!.ref, OLD, 'SHA refs are kept');
  assert.equal(stratum.chunks[2]!.ref, 'unknown');
  const system: SystemMorphology = {
    kind: 'system',
    name: 's',
    description: '',
    arch: 'x86_64',
    strata: [{ morph: 'strata/core.morph' }],
    'configuration-extensions': [],
  };
  assert.equal(repointMorphology(system, 'test:morphs', 'mybranch', map), false);
});
