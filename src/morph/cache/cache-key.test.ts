import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadMorphology } from '../definitions/load-morphology.js';
import { saveMorphology } from '../definitions/save-morphology.js';
import {
  CHUNK_COMMAND_FIELDS,
  type ChunkMorphology,
  type StratumMorphology,
  type SystemMorphology,
} from '../model.js';
import {
  type ChunkCacheId,
  computeCacheKey,
  pythonStr,
  type StratumCacheId,
  type SystemCacheId,
} from './cache-key.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The keyed environment of an x86_64 build (build/graph/build-environment.ts), hermetic variables included. */
const ENV = {
  LC_ALL: 'C',
  LOGNAME: 'tomjon',
  MORPH_ARCH: 'x86_64',
  SOURCE_DATE_EPOCH: '683078400',
  TARGET: 'x86_64-baserock-linux-gnu',
  TARGET_STAGE1: 'x86_64-bootstrap-linux-gnu',
  TZ: 'UTC',
  USER: 'tomjon',
  USERNAME: 'tomjon',
};

/** The suite's test chunk, with its `!!binary` build command (not UTF-8). */
const TEST_CHUNK = `name: test-chunk
kind: chunk
build-system: manual
build-commands:
- !!binary |
  ZWNobyBkdW1teSBidWlsZCDA/w==
install-commands:
- copy files
system-integration:
  test-chunk-bins:
    00-passwd:
    - echo root:x:0:0:root:/root:/bin/sh > /etc/passwd
`;

function chunkCacheId(chunk: ChunkMorphology): ChunkCacheId {
  const id = {
    env: ENV,
    kids: [{ artifact: 'build-essential-runtime', 'cache-key': 'a'.repeat(64) }],
    'metadata-version': 1,
    'build-umask': '0022',
    'build-mode': 'staging',
    prefix: '/usr',
    tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    'split-rules': [
      ['test-chunk-bins', ['(usr/)?s?bin/.*']],
      ['test-chunk-misc', ['.*']],
    ],
    devices: chunk.devices,
    'max-jobs': chunk['max-jobs'],
    'system-integration': chunk['system-integration'],
  } as Record<string, unknown>;
  for (const field of CHUNK_COMMAND_FIELDS) id[field] = chunk[field];
  return id as ChunkCacheId;
}

describe('computeCacheKey', () => {
  it('hashes the canonical serialisation: sorted keys, items in order, Python str() scalars', () => {
    assert.equal(computeCacheKey({}), sha256(''));
    assert.equal(
      computeCacheKey({ b: [true, null, 'x', false], a: 1, c: { z: undefined, y: -20 } }),
      sha256('a1bTrueNonexFalsecy-20zNone'),
    );
    assert.equal(
      computeCacheKey({ bytes: [Buffer.from([0xc0, 0xff]), 'é'] }),
      sha256(Buffer.concat([Buffer.from('bytes'), Buffer.from([0xc0, 0xff]), Buffer.from('é', 'utf8')])),
    );
    // Tuples and lists serialise the same; separators are absent on purpose.
    assert.equal(computeCacheKey({ a: ['b', 'c'] }), computeCacheKey({ a: 'bc' }));
    // Keys sort by their UTF-8 bytes, as Python 2 sorts byte strings.
    assert.equal(computeCacheKey({ Z: 1, a: 2, _: 3 }), sha256('Z1_3a2'));
  });

  it('formats numbers as Python 2 str() does', () => {
    assert.equal(pythonStr(0), '0');
    assert.equal(pythonStr(-12), '-12');
    assert.equal(pythonStr(2 ** 70), '1180591620717411303424');
    assert.equal(pythonStr(1.5), '1.5');
    assert.equal(pythonStr(0.1), '0.1');
    assert.equal(pythonStr(1 / 3), '0.333333333333');
    assert.equal(pythonStr(1e-5 + 1e-20), '1e-05');
    assert.equal(pythonStr(1500000000000.5), '1.5e+12');
    assert.equal(pythonStr(123456.5), '123456.5');
    assert.equal(pythonStr(Number.NaN), 'nan');
    assert.equal(pythonStr(Number.NEGATIVE_INFINITY), '-inf');
    assert.equal(pythonStr(10n), '10');
    assert.throws(() => pythonStr(Symbol('x')), /BUG/);
  });

  it('pins known keys, so that any change of key is deliberate', () => {
    const chunk = loadMorphology(TEST_CHUNK, 'test-chunk.morph') as ChunkMorphology;
    assert.equal(
      computeCacheKey(chunkCacheId(chunk)),
      '91163fd6b488132a79143410d6f7c4eaa9c10d8c067fb58b90ce03f9a1f98bf2',
    );
    const stratum = loadMorphology(
      'name: core\nkind: stratum\nbuild-depends: [{morph: strata/build-essential.morph}]\n' +
        'chunks: [{name: test-chunk, ref: master, build-depends: []}]\n',
      'strata/core.morph',
    ) as StratumMorphology;
    const stratumId: StratumCacheId = {
      env: ENV,
      kids: [{ artifact: 'test-chunk-bins', 'cache-key': 'b'.repeat(64) }],
      'metadata-version': 1,
      'build-umask': '0022',
      name: stratum.name,
      kind: stratum.kind,
      'stratum-format-version': 1,
    };
    assert.equal(
      computeCacheKey(stratumId),
      'dfc22d936bcf3649b53509c24bc53d81697f2590cc34ccea78ebe79b2bf8359a',
    );
    const system = loadMorphology(
      'name: test-system\nkind: system\narch: x86_64\nstrata: [{morph: strata/core.morph}]\n',
      'systems/test-system.morph',
    ) as SystemMorphology;
    const systemId: SystemCacheId = {
      env: ENV,
      kids: [{ artifact: 'core-runtime', 'cache-key': 'c'.repeat(64) }],
      'metadata-version': 1,
      'build-umask': '0022',
      name: system.name,
      kind: system.kind,
      arch: system.arch,
      'configuration-extensions': system['configuration-extensions'],
      'system-compatibility-version': '2~ (upgradable, root rw)',
    };
    assert.equal(
      computeCacheKey(systemId),
      'd6d29b96d82b21ef6d19505faf28e63daff722de6affbab07eba233304c634bc',
    );
  });

  it('gives the same key after a load → save → load round trip of !!binary commands', () => {
    const chunk = loadMorphology(TEST_CHUNK, 'test-chunk.morph') as ChunkMorphology;
    const again = loadMorphology(saveMorphology(chunk), 'test-chunk.morph') as ChunkMorphology;
    assert.ok(Buffer.isBuffer(again['build-commands'][0]));
    assert.equal(computeCacheKey(chunkCacheId(again)), computeCacheKey(chunkCacheId(chunk)));
  });

  it('changes when any input changes', () => {
    const chunk = loadMorphology(TEST_CHUNK, 'test-chunk.morph') as ChunkMorphology;
    const base = computeCacheKey(chunkCacheId(chunk));
    const changed = structuredClone(chunkCacheId(chunk)) as unknown as Record<string, unknown>;
    changed.kids = [{ artifact: 'build-essential-devel', 'cache-key': 'a'.repeat(64) }];
    assert.notEqual(computeCacheKey(changed), base);
    const edited = loadMorphology(TEST_CHUNK.replace('copy files', 'copy  files'), 'test-chunk.morph');
    assert.notEqual(computeCacheKey(chunkCacheId(edited as ChunkMorphology)), base);
  });
});
