import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseBuildEnvironment, cacheKeyEnvironment, chunkPath, targetTriplets } from './build-environment.js';
import { HERMETIC_ENVIRONMENT } from './hermetic.js';

test('target triplets follow the arch', () => {
  assert.deepEqual(targetTriplets('x86_64'), {
    target: 'x86_64-baserock-linux-gnu',
    targetStage1: 'x86_64-bootstrap-linux-gnu',
  });
  assert.equal(targetTriplets('x86_32').target, 'i686-baserock-linux-gnu');
  assert.equal(targetTriplets('armv7lhf').target, 'armv7lhf-baserock-linux-gnueabi');
  assert.equal(targetTriplets('armv8b64').targetStage1, 'aarch64_be-bootstrap-linux-gnu');
});

test('the environment is cleared except for the passed-through variables', () => {
  const env = baseBuildEnvironment({
    arch: 'x86_64',
    noCcache: false,
    noDistcc: true,
    hostEnv: { HOME: '/root', LD_PRELOAD: 'x.so', PATH: '/usr/bin' },
  });
  assert.equal(env.HOME, '/tmp');
  assert.equal(env.LD_PRELOAD, 'x.so');
  assert.equal(env.CCACHE_DIR, '/tmp/ccache');
  assert.equal(env.CCACHE_PREFIX, undefined);
  assert.equal(env.PATH, undefined);
  assert.equal(env.CCACHE_EXTRAFILES, undefined);
  const withMeta = baseBuildEnvironment({
    arch: 'x86_64',
    noCcache: false,
    noDistcc: false,
    existingFiles: (file) => file !== '/baserock/eglibc.meta',
  });
  assert.equal(withMeta.CCACHE_EXTRAFILES, '/baserock/binutils.meta:/baserock/gcc.meta');
  assert.equal(withMeta.CCACHE_PREFIX, 'distcc');
  assert.deepEqual(Object.keys(cacheKeyEnvironment(env)), [
    'LC_ALL',
    'LOGNAME',
    'MORPH_ARCH',
    'SOURCE_DATE_EPOCH',
    'TARGET',
    'TARGET_STAGE1',
    'TZ',
    'USER',
    'USERNAME',
  ]);
});

test('the hermetic variables are set whatever the host has, and keyed (cache-key.test.ts pins the keys)', () => {
  const env = baseBuildEnvironment({
    arch: 'x86_64',
    noCcache: true,
    noDistcc: true,
    hostEnv: { TZ: 'Europe/London', LC_ALL: 'en_GB.UTF-8', SOURCE_DATE_EPOCH: '1' },
  });
  const keyed = cacheKeyEnvironment(env);
  assert.deepEqual(HERMETIC_ENVIRONMENT, { LC_ALL: 'C', SOURCE_DATE_EPOCH: '683078400', TZ: 'UTC' });
  for (const [name, value] of Object.entries(HERMETIC_ENVIRONMENT)) {
    assert.equal(env[name], value, name);
    assert.equal(keyed[name], value, name);
  }
});

test('PATH lists dependency prefixes once, then ccache and the system directories', () => {
  assert.equal(
    chunkPath({ dependencyPrefixes: ['/usr', '/tools', '/usr'], noCcache: false }),
    '/usr/bin:/tools/bin:/usr/lib/ccache:/sbin:/usr/sbin:/bin:/usr/bin',
  );
  assert.equal(
    chunkPath({ dependencyPrefixes: ['/tools'], noCcache: true, staging: { dir: '/s', hostPath: '/bin' } }),
    '/s/tools/bin:/bin',
  );
});
