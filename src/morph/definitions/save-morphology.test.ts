import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MorphError } from '../errors.js';
import type { ChunkMorphology, ClusterMorphology, StratumMorphology } from '../model.js';
import { loadMorphology } from './load-morphology.js';
import { compareKeys, saveMorphology, writeMorphology } from './save-morphology.js';

/** The suite's test chunk: a `!!binary` build command (not valid UTF-8). */
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
    - |
      echo root:x:0:0:root:/root:/bin/sh > /etc/passwd
      echo done
`;

describe('saveMorphology', () => {
  it('round-trips !!binary commands byte for byte', () => {
    const chunk = loadMorphology(TEST_CHUNK, 'test-chunk.morph') as ChunkMorphology;
    const saved = saveMorphology(chunk);
    assert.match(saved, /!!binary/);
    const again = loadMorphology(saved, 'test-chunk.morph') as ChunkMorphology;
    assert.deepEqual(again, chunk);
    const bytes = again['build-commands'][0];
    assert.ok(Buffer.isBuffer(bytes));
    assert.equal(bytes.toString('latin1'), 'echo dummy build \xc0\xff');
    assert.equal(saveMorphology(again), saved, 'saving is stable');
  });

  it('writes multi-line strings in literal block style', () => {
    const chunk = loadMorphology(TEST_CHUNK, 'test-chunk.morph');
    assert.match(
      saveMorphology(chunk),
      / {4}- \|\n {6}echo root:x:0:0:root:\/root:\/bin\/sh > \/etc\/passwd\n/,
    );
  });

  it('leaves out defaults, including build-system default commands', () => {
    const chunk = loadMorphology(
      'name: c\nkind: chunk\nbuild-system: autotools\nbuild-commands: [make -j1]\n',
      'c',
    );
    assert.equal(
      saveMorphology(chunk),
      'name: c\nkind: chunk\nbuild-system: autotools\nbuild-commands:\n- make -j1\n',
    );
    const dummy = loadMorphology('name: d\nkind: chunk\nbuild-system: dummy\ntest-commands: []\n', 'd');
    assert.equal(saveMorphology(dummy), 'name: d\nkind: chunk\nbuild-system: dummy\ntest-commands: []\n');
  });

  it('orders keys as the original and the rest alphabetically', () => {
    const text = `kind: stratum
chunks:
- build-depends: []
  zeta: 1
  ref: master
  alpha: 2
  repo: upstream:a
  name: a
  build-mode: bootstrap
  prefix: /tools
description: d
name: s
`;
    const saved = saveMorphology(loadMorphology(text, 's.morph'));
    assert.equal(
      saved,
      `name: s
kind: stratum
description: d
chunks:
- name: a
  repo: upstream:a
  ref: master
  build-depends: []
  build-mode: bootstrap
  alpha: 2
  prefix: /tools
  zeta: 1
`,
    );
    assert.ok(compareKeys('name', 'kind') < 0);
    assert.ok(compareKeys('zeta', 'location') > 0);
    assert.ok(compareKeys('alpha', 'beta') < 0);
    assert.equal(compareKeys('x', 'x'), 0);
  });

  it('drops chunk spec defaults and keeps build-depends a bootstrap-less stratum needs', () => {
    const text = `name: s
kind: stratum
build-depends: []
chunks:
- name: a
  repo: a
  ref: master
  build-mode: staging
  prefix: /usr
  build-depends: []
`;
    const stratum = loadMorphology(text, 's.morph') as StratumMorphology;
    const saved = saveMorphology(stratum);
    assert.equal(
      saved,
      'name: s\nkind: stratum\nbuild-depends: []\nchunks:\n- name: a\n  ref: master\n  build-depends: []\n',
    );
    assert.deepEqual(loadMorphology(saved, 's.morph'), stratum);
    const bootstrap = text.replace('build-mode: staging', 'build-mode: bootstrap');
    assert.doesNotMatch(saveMorphology(loadMorphology(bootstrap, 's.morph')), /^build-depends/m);
  });

  it('saves an edited spec without touching the loaded object', () => {
    const stratum = loadMorphology(
      'name: s\nkind: stratum\nbuild-depends: []\nchunks:\n- {name: a, ref: "0123", build-depends: []}\n',
      's.morph',
    ) as StratumMorphology;
    const spec = stratum.chunks[0]!;
    spec['unpetrify-ref'] = spec.ref;
    spec.ref = 'baserock/test';
    const saved = saveMorphology(stratum);
    assert.match(saved, / {2}ref: baserock\/test\n {2}unpetrify-ref: "0123"\n/);
    assert.equal(spec.repo, 'a', 'defaults are unset on a copy');
  });

  it('quotes strings that would read back as something else', () => {
    const chunk = loadMorphology(
      'name: c\nkind: chunk\nbuild-commands: ["yes", "123", "0x10", "null", "1.5", " lead", "trail "]\n',
      'c',
    ) as ChunkMorphology;
    const again = loadMorphology(saveMorphology(chunk), 'c') as ChunkMorphology;
    assert.deepEqual(again['build-commands'], ['yes', '123', '0x10', 'null', '1.5', ' lead', 'trail ']);
  });

  it('round-trips awkward strings and numbers exactly', () => {
    const commands = [
      '\x1b[0m',
      'a\x00b',
      'x\u2028y',
      'a\r\nb',
      'a\n\n',
      '\na',
      '\ta\n\tb\n',
      'echo a # b',
      'key: value',
      '- item',
      '  ',
      '',
      '@x',
      '`x`',
      '*x',
      '&x',
      '!x',
      '%x',
      '{x}',
      '[x]',
      '|x',
      '>x',
      "'x",
      '"x',
      '#x',
      '? x',
      'a\n  b\n c',
      'é',
      '~',
      'Null',
      'True',
      'ON',
      '0o17',
      '+1',
      '.5',
      '1.',
      '-.inf',
      '=',
      '<<',
      'x\\y',
      'trail\n ',
      ' lead\nline',
      'line\n\n\nend\n\n',
      '\t',
      'a\tb',
    ];
    const chunk = loadMorphology('name: c\nkind: chunk\n', 'c') as ChunkMorphology;
    chunk['build-commands'] = commands;
    const again = loadMorphology(saveMorphology(chunk), 'c') as ChunkMorphology;
    assert.deepEqual(again['build-commands'], commands);
    const cluster = loadMorphology(
      'name: c\nkind: cluster\nsystems: [{morph: s, deploy: {t: {RATIO: 1.5, BIG: 1.0e+20, N: -3}}}]\n',
      'c',
    ) as ClusterMorphology;
    const reloaded = loadMorphology(saveMorphology(cluster), 'c') as ClusterMorphology;
    assert.deepEqual(reloaded.systems[0]?.deploy.t, { RATIO: 1.5, BIG: 1e20, N: -3 });
  });

  it('saves systems and clusters, dropping empty deploy-defaults', () => {
    const system = loadMorphology(
      'kind: system\nname: s\narch: x86_64\nstrata: [{morph: strata/core.morph, name: core}]\n',
      's',
    );
    assert.equal(
      saveMorphology(system),
      'name: s\nkind: system\narch: x86_64\nstrata:\n- name: core\n  morph: strata/core.morph\n',
    );
    const cluster = loadMorphology(
      'name: c\nkind: cluster\nsystems:\n- morph: s\n  deploy:\n    t: {location: null, type: tar, X: 1}\n  subsystems:\n  - {morph: s, deploy: {u: {}}}\n',
      'c',
    ) as ClusterMorphology;
    assert.equal(
      saveMorphology(cluster),
      'name: c\nkind: cluster\nsystems:\n- morph: s\n  deploy:\n    t:\n      type: tar\n      location: null\n      X: 1\n  subsystems:\n  - morph: s\n    deploy:\n      u: {}\n',
    );
  });

  it('writes atomically, leaving no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'morph-save-'));
    try {
      const chunk = loadMorphology(TEST_CHUNK, 'test-chunk.morph');
      const path = join(dir, 'test-chunk.morph');
      await writeMorphology(path, chunk);
      assert.equal(await readFile(path, 'utf8'), saveMorphology(chunk));
      assert.deepEqual(await readdir(dir), ['test-chunk.morph']);
      await assert.rejects(
        writeMorphology(join(dir, 'missing', 'x.morph'), chunk),
        (err: unknown) => err instanceof MorphError && err.reason === 'write-failed',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
