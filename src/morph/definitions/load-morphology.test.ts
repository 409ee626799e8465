import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MorphError } from '../errors.js';
import type { ChunkMorphology, ClusterMorphology, StratumMorphology, SystemMorphology } from '../model.js';
import { detectChunkMorphology, loadMorphology } from './load-morphology.js';

function errorOf(text: string, file = 'test.morph'): MorphError {
  try {
    loadMorphology(text, file);
  } catch (err) {
    assert.ok(err instanceof MorphError, String(err));
    assert.equal(err.domain, 'definitions');
    return err;
  }
  assert.fail(`expected an error loading:\n${text}`);
}

const reasonOf = (text: string, file?: string): string => errorOf(text, file).reason;

const STRATUM = `name: core
kind: stratum
build-depends:
- morph: strata/build-essential.morph
chunks:
- name: test-chunk
  repo: test:test-chunk
  ref: 0123abc
  unpetrify-ref: master
  morph: test-chunk.morph
  build-depends: []
`;

const SYSTEM = `name: test-system
kind: system
arch: x86_64
strata:
- name: core
  morph: strata/core.morph
`;

describe('loadMorphology: common validation', () => {
  it('requires a mapping', () => {
    assert.equal(reasonOf('- a\n- b\n'), 'not-a-mapping');
    assert.equal(reasonOf(''), 'not-a-mapping');
    assert.equal(reasonOf('text\n'), 'not-a-mapping');
  });

  it('reports YAML syntax errors', () => {
    assert.equal(reasonOf('name: [x\n'), 'syntax-error');
  });

  it('requires a known kind', () => {
    assert.equal(reasonOf('name: x\n'), 'missing-field');
    assert.equal(reasonOf('name: x\nkind: stratumm\n'), 'unknown-kind');
    assert.equal(reasonOf('name: x\nkind: [chunk]\n'), 'unknown-kind');
  });

  it('requires the fields of each kind', () => {
    assert.equal(reasonOf('kind: chunk\n'), 'missing-field');
    assert.equal(reasonOf('kind: stratum\nchunks: []\n'), 'missing-field');
    assert.equal(reasonOf('name: s\nkind: system\narch: x86_64\n'), 'missing-field');
    assert.equal(reasonOf('name: s\nkind: system\nstrata: []\n'), 'missing-field');
    assert.equal(reasonOf('name: c\nkind: cluster\n'), 'missing-field');
    assert.equal(reasonOf('name: 3\nkind: chunk\n'), 'invalid-type');
  });

  it('rejects fields not allowed, naming the field with its position', () => {
    const err = errorOf('name: x\nkind: chunk\nbuild-sytem: manual\n', 'chunks/x.morph');
    assert.equal(err.reason, 'field-not-allowed');
    assert.deepEqual(err.location, { file: 'chunks/x.morph', line: 3, column: 1 });
    assert.match(err.message, /build-sytem/);
    assert.equal(reasonOf(`${SYSTEM}chunks: []\n`), 'field-not-allowed');
  });

  it('rejects the obsolete system fields', () => {
    assert.equal(reasonOf(`${SYSTEM}system-kind: rootfs-tarball\n`), 'obsolete-fields');
    assert.equal(reasonOf(`${SYSTEM}disk-size: 1G\n`), 'obsolete-fields');
  });
});

describe('loadMorphology: chunks', () => {
  it('fills commands from the build system, then static defaults', () => {
    const m = loadMorphology('name: c\nkind: chunk\nbuild-system: cmake\nbuild-commands: []\n', 'c.morph');
    assert.equal(m.kind, 'chunk');
    const chunk = m as ChunkMorphology;
    assert.deepEqual(chunk['configure-commands'], ['cmake -DCMAKE_INSTALL_PREFIX=/usr']);
    assert.deepEqual(chunk['build-commands'], [], 'an explicit value wins, even empty');
    assert.deepEqual(chunk['install-commands'], ['make DESTDIR="$DESTDIR" install']);
    assert.deepEqual(chunk['pre-configure-commands'], []);
    assert.equal(chunk.description, '');
    assert.deepEqual(chunk.devices, []);
    assert.deepEqual(chunk.products, []);
    assert.equal(chunk['max-jobs'], null);
    assert.equal(chunk['build-mode'], 'staging');
    assert.equal(chunk.prefix, '/usr');
    assert.deepEqual(chunk['system-integration'], {});
  });

  it('defaults to the manual build system', () => {
    const chunk = loadMorphology('name: c\nkind: chunk\n', 'c.morph') as ChunkMorphology;
    assert.equal(chunk['build-system'], 'manual');
    assert.deepEqual(chunk['install-commands'], []);
  });

  it('keeps !!binary commands as bytes and turns null command lists into empty ones', () => {
    const chunk = loadMorphology(
      'name: c\nkind: chunk\nbuild-system: dummy\nbuild-commands:\n- !!binary /+5lY2hv\ntest-commands:\n',
      'c.morph',
    ) as ChunkMorphology;
    assert.ok(Buffer.isBuffer(chunk['build-commands'][0]));
    assert.deepEqual(chunk['test-commands'], []);
  });

  it('rejects unknown build systems and malformed command lists', () => {
    assert.equal(reasonOf('name: c\nkind: chunk\nbuild-system: scons\n'), 'unknown-build-system');
    assert.equal(reasonOf('name: c\nkind: chunk\nbuild-system: [x]\n'), 'unknown-build-system');
    assert.equal(reasonOf('name: c\nkind: chunk\nbuild-system:\n'), 'unknown-build-system');
    assert.equal(reasonOf('name: c\nkind: chunk\nbuild-commands: make\n'), 'invalid-type');
    assert.equal(reasonOf('name: c\nkind: chunk\nbuild-commands: [make, true]\n'), 'invalid-type');
    assert.equal(reasonOf('name: c\nkind: chunk\ndevices: {}\n'), 'invalid-type');
    assert.equal(reasonOf('name: c\nkind: chunk\nsystem-integration: script\n'), 'invalid-type');
  });

  it('coerces max-jobs to an int', () => {
    const load = (value: string) =>
      (loadMorphology(`name: c\nkind: chunk\nmax-jobs: ${value}\n`, 'c.morph') as ChunkMorphology)[
        'max-jobs'
      ];
    assert.equal(load('4'), 4);
    assert.equal(load('"8"'), 8);
    assert.equal(load('2.7'), 2);
    assert.equal(load('yes'), 1);
    assert.equal(load('null'), null);
    assert.equal(reasonOf('name: c\nkind: chunk\nmax-jobs: lots\n'), 'invalid-type');
  });

  it('accepts well-formed products', () => {
    const chunk = loadMorphology(
      'name: c\nkind: chunk\nproducts:\n- artifact: c-extra\n  include: [usr/share/extra/.*]\n',
      'c.morph',
    ) as ChunkMorphology;
    assert.deepEqual(chunk.products, [{ artifact: 'c-extra', include: ['usr/share/extra/.*'] }]);
  });

  it('collects every products problem into one invalid-products error', () => {
    assert.equal(
      reasonOf('name: c\nkind: chunk\nproducts: {artifact: a, include: []}\n'),
      'invalid-products',
    );
    assert.equal(reasonOf('name: c\nkind: chunk\nproducts: [a]\n'), 'invalid-products');
    assert.equal(
      reasonOf('name: c\nkind: chunk\nproducts: [{artifact: a, include: "x"}]\n'),
      'invalid-products',
    );
    assert.equal(
      reasonOf('name: c\nkind: chunk\nproducts: [{artifact: a, include: {x: y}}]\n'),
      'invalid-products',
    );
    const err = errorOf(
      'name: c\nkind: chunk\nproducts:\n- artifact: 1\n  extra: x\n- include: [a, 2]\n- {artifact: b, include: [x]}\n',
    );
    assert.equal(err.reason, 'invalid-products');
    for (const fragment of [
      'products[0].include is missing',
      'products[0].extra is not allowed',
      'products[0].artifact must be a string',
      'products[1].artifact is missing',
      'products[1].include[1] must be a string',
    ]) {
      assert.ok(err.message.includes(fragment), `${fragment} in ${err.message}`);
    }
    assert.ok(!err.message.includes('products[2]'));
  });

  it('synthesizes a chunk morphology from an autodetected build system', () => {
    const chunk = detectChunkMorphology('stage1-chunk.morph', ['configure', 'Makefile']);
    assert.equal(chunk.name, 'stage1-chunk');
    assert.equal(chunk['build-system'], 'autotools');
    assert.deepEqual(chunk['build-commands'], ['make']);
    const err = (() => {
      try {
        detectChunkMorphology('sub/x.morph', ['README']);
      } catch (e) {
        return e as MorphError;
      }
      assert.fail('expected an error');
    })();
    assert.equal(err.reason, 'morphology-not-found');
    assert.match(err.message, /Couldn't find morphology: sub\/x\.morph/);
  });
});

describe('loadMorphology: strata', () => {
  it('fills chunk spec and stratum defaults', () => {
    const m = loadMorphology(STRATUM.replace('  repo: test:test-chunk\n', ''), 'strata/core.morph');
    assert.equal(m.kind, 'stratum');
    const stratum = m as StratumMorphology;
    const spec = stratum.chunks[0]!;
    assert.equal(spec.repo, 'test-chunk');
    assert.equal(spec.ref, '0123abc');
    assert.equal(spec['build-mode'], 'staging');
    assert.equal(spec.prefix, '/usr');
    assert.deepEqual(stratum.products, []);
    assert.equal(stratum.description, '');
  });

  it('takes the last of duplicate chunks keys (as the suites append them)', () => {
    const text = `${STRATUM}chunks:\n- name: other\n  repo: r\n  ref: master\n  build-depends: []\n`;
    const stratum = loadMorphology(text, 's.morph') as StratumMorphology;
    assert.deepEqual(
      stratum.chunks.map((spec) => spec.name),
      ['other'],
    );
  });

  it('requires chunks', () => {
    assert.equal(reasonOf('name: s\nkind: stratum\nbuild-depends: []\n'), 'no-chunks');
    assert.equal(reasonOf('name: s\nkind: stratum\nbuild-depends: []\nchunks: []\n'), 'no-chunks');
    assert.equal(reasonOf('name: s\nkind: stratum\nchunks: {a: b}\n'), 'invalid-type');
    assert.equal(reasonOf('name: s\nkind: stratum\nchunks: [a]\n'), 'invalid-type');
    assert.equal(
      reasonOf('name: s\nkind: stratum\nchunks: [{ref: a, build-depends: []}]\n'),
      'missing-field',
    );
  });

  it('requires build-depends unless a chunk builds in bootstrap or test mode', () => {
    const chunk = 'chunks:\n- name: a\n  ref: master\n  build-depends: []\n';
    assert.equal(reasonOf(`name: s\nkind: stratum\n${chunk}`), 'no-build-depends');
    const bootstrap = `name: s\nkind: stratum\n${chunk}  build-mode: bootstrap\n`;
    assert.deepEqual((loadMorphology(bootstrap, 's.morph') as StratumMorphology)['build-depends'], []);
    const test = `name: s\nkind: stratum\n${chunk}  build-mode: test\n`;
    assert.equal(loadMorphology(test, 's.morph').kind, 'stratum');
    assert.equal(reasonOf(`name: s\nkind: stratum\nbuild-depends: x\n${chunk}`), 'invalid-type');
    assert.equal(reasonOf(`name: s\nkind: stratum\nbuild-depends: [{x: y}]\n${chunk}`), 'missing-field');
    assert.equal(
      reasonOf(
        `name: s\nkind: stratum\nbuild-depends: [{morph: strata/s.morph}]\n${chunk}`,
        'strata/s.morph',
      ),
      'depends-on-self',
    );
  });

  it('validates chunk specs', () => {
    const head = 'name: s\nkind: stratum\nbuild-depends: []\nchunks:\n';
    assert.equal(reasonOf(`${head}- name: a\n  ref: master\n`), 'chunk-no-build-depends');
    assert.equal(reasonOf(`${head}- name: a\n  ref: master\n  build-depends: a\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}- name: a\n  ref: master\n  build-depends: [1]\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}- name: a\n  build-depends: []\n`), 'missing-ref');
    assert.equal(reasonOf(`${head}- name: a\n  ref:\n  build-depends: []\n`), 'missing-ref');
    const unquoted = errorOf(`${head}- name: a\n  ref: 1234567\n  build-depends: []\n`);
    assert.equal(unquoted.reason, 'ref-not-string');
    assert.deepEqual(unquoted.location, { file: 'test.morph', line: 6, column: 3 });
    const dup = `${head}- name: a\n  ref: x\n  build-depends: []\n- name: a\n  ref: y\n  build-depends: []\n`;
    assert.equal(reasonOf(dup), 'duplicate-chunk');
    const aliased = `${head}- name: a\n  ref: x\n  build-depends: []\n- name: b\n  alias: a\n  ref: y\n  build-depends: []\n`;
    assert.equal(reasonOf(aliased), 'duplicate-chunk');
    assert.equal(
      reasonOf(`${head}- name: a\n  ref: x\n  build-depends: []\n  artifacts: [a]\n`),
      'invalid-type',
    );
    const artifacts = `${head}- name: a\n  ref: x\n  build-depends: []\n  artifacts: {a-bins: s-runtime}\n`;
    assert.deepEqual((loadMorphology(artifacts, 's.morph') as StratumMorphology).chunks[0]?.artifacts, {
      'a-bins': 's-runtime',
    });
  });

  it('keeps refs that PyYAML reads as strings', () => {
    const head = 'name: s\nkind: stratum\nbuild-depends: []\nchunks:\n';
    for (const ref of ['0912abc', '1e5', '0123456789abcdef', 'y']) {
      const stratum = loadMorphology(`${head}- name: a\n  ref: ${ref}\n  build-depends: []\n`, 's.morph');
      assert.equal((stratum as StratumMorphology).chunks[0]?.ref, ref);
    }
  });
});

describe('loadMorphology: systems', () => {
  it('loads a system and fills defaults', () => {
    const system = loadMorphology(SYSTEM, 'systems/test-system.morph') as SystemMorphology;
    assert.equal(system.arch, 'x86_64');
    assert.deepEqual(system['configuration-extensions'], []);
    assert.deepEqual(system.strata, [{ name: 'core', morph: 'strata/core.morph' }]);
  });

  it('normalises armv7 and rejects unknown architectures', () => {
    const armv7 = loadMorphology(SYSTEM.replace('x86_64', 'armv7'), 's.morph') as SystemMorphology;
    assert.equal(armv7.arch, 'armv7l');
    assert.equal(reasonOf(SYSTEM.replace('x86_64', 'mips')), 'unknown-architecture');
    assert.equal(reasonOf(SYSTEM.replace('x86_64', 'null')), 'unknown-architecture');
  });

  it('validates strata specs', () => {
    const head = 'name: s\nkind: system\narch: x86_64\n';
    assert.equal(reasonOf(`${head}strata: core\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}strata: {morph: x}\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}strata: []\n`), 'no-strata');
    assert.equal(reasonOf(`${head}strata: [x]\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}strata: [{name: x}]\n`), 'missing-field');
    assert.equal(reasonOf(`${head}strata: [{morph: a}, {morph: a}]\n`), 'duplicate-stratum');
    assert.equal(
      reasonOf(`${head}strata: [{morph: a, alias: x}, {morph: b, alias: x}]\n`),
      'duplicate-stratum',
    );
    assert.equal(reasonOf(`${head}strata: [{morph: a, artifacts: a-runtime}]\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}strata: [{morph: a}]\nconfiguration-extensions: x\n`), 'invalid-type');
  });

  it('drops obsolete repo/ref of strata specs with a warning', () => {
    const warnings: string[] = [];
    const text = `${SYSTEM}  repo: test:morphs\n  ref: master\n`;
    const system = loadMorphology(text, 's.morph', { warnings }) as SystemMorphology;
    assert.deepEqual(system.strata[0], { name: 'core', morph: 'strata/core.morph' });
    assert.equal(warnings.length, 2);
  });
});

describe('loadMorphology: clusters', () => {
  const CLUSTER = `name: test-cluster
kind: cluster
systems:
- morph: systems/test-system.morph
  deploy:
    test-system:
      type: tar
      location: test.tar
  subsystems:
  - morph: systems/test-system.morph
    deploy:
      sysroot: {type: sysroot, location: var/lib/sysroots/test-system}
`;

  it('loads nested systems and fills deploy defaults', () => {
    const cluster = loadMorphology(CLUSTER, 'clusters/test-cluster.morph') as ClusterMorphology;
    const entry = cluster.systems[0]!;
    assert.deepEqual(entry['deploy-defaults'], {});
    assert.deepEqual(entry.deploy['test-system'], { type: 'tar', location: 'test.tar' });
    assert.deepEqual(entry.subsystems?.[0]?.['deploy-defaults'], {});
  });

  it('rejects duplicate deployment names across subsystems', () => {
    const err = errorOf(CLUSTER.replace('sysroot: {', 'test-system: {'));
    assert.equal(err.reason, 'duplicate-deployment-names');
    assert.match(err.message, /test-system/);
  });

  it('validates entries', () => {
    const head = 'name: c\nkind: cluster\n';
    assert.equal(reasonOf(`${head}systems: x\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}systems: [x]\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}systems: [{deploy: {}}]\n`), 'missing-field');
    assert.equal(reasonOf(`${head}systems: [{morph: s}]\n`), 'missing-field');
    assert.equal(reasonOf(`${head}systems: [{morph: s, deploy: [a]}]\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}systems: [{morph: s, deploy: {a: x}}]\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}systems: [{morph: s, deploy: {}, deploy-defaults: x}]\n`), 'invalid-type');
    assert.equal(reasonOf(`${head}systems: [{morph: s, deploy: {}, subsystems: x}]\n`), 'invalid-type');
    const empty = loadMorphology(
      `${head}systems: [{morph: s, deploy: {a: }}]\n`,
      'c.morph',
    ) as ClusterMorphology;
    assert.deepEqual(empty.systems[0]?.deploy, { a: {} });
  });
});
