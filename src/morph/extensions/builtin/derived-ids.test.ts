import assert from 'node:assert/strict';
import { test } from 'node:test';
import { derivedIds, derivedUuid, readDerivedIds } from './derived-ids.js';
import { reproducibleTarOptions } from './tar.js';

const SEED = 'a'.repeat(64);

test('derived identifiers depend only on the seed, and differ by purpose and seed', () => {
  const ids = derivedIds(SEED);
  assert.deepEqual(derivedIds(SEED), ids);
  assert.match(ids.filesystemUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(ids.diskId, /^0x[0-9a-f]{8}$/);
  assert.match(ids.volumeId, /^[0-9a-f]{8}$/);
  assert.notEqual(ids.filesystemUuid, ids.hashSeed);
  assert.notEqual(derivedIds('b'.repeat(64)).filesystemUuid, ids.filesystemUuid);
  assert.equal(derivedUuid(SEED, 'filesystem'), ids.filesystemUuid);
});

test('UUID_FROM is random by default, artifact needs the seed, anything else is refused', () => {
  assert.equal(readDerivedIds({}), undefined);
  assert.equal(readDerivedIds({ UUID_FROM: 'random' }), undefined);
  assert.deepEqual(readDerivedIds({ UUID_FROM: 'artifact', MORPH_UUID_SEED: SEED }), derivedIds(SEED));
  assert.throws(() => readDerivedIds({ UUID_FROM: 'artifact' }), { code: 'extension/bad-parameter' });
  assert.throws(() => readDerivedIds({ UUID_FROM: 'clock', MORPH_UUID_SEED: SEED }), {
    code: 'extension/bad-parameter',
  });
});

test('tar archives are sorted with numeric owners, and clamped when SOURCE_DATE_EPOCH is set', () => {
  assert.deepEqual(reproducibleTarOptions({}), ['--sort=name', '--numeric-owner']);
  assert.deepEqual(reproducibleTarOptions({ SOURCE_DATE_EPOCH: '683078400' }), [
    '--sort=name',
    '--numeric-owner',
    '--mtime=@683078400',
    '--clamp-mtime',
  ]);
  assert.deepEqual(reproducibleTarOptions({ SOURCE_DATE_EPOCH: 'soon' }), ['--sort=name', '--numeric-owner']);
});
