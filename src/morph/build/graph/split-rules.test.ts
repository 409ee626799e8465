import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { translatePythonRegex } from '../../../shared/python-regex.js';
import { loadMorphology } from '../../definitions/load-morphology.js';
import { MorphError } from '../../errors.js';
import type { StratumMorphology } from '../../model.js';
import {
  artifactNames,
  chunkSplitRules,
  compileSplitPattern,
  matchRule,
  partitionPaths,
  pythonMatch,
  selectStratumArtifacts,
  stratumArtifactOf,
  stratumSplitRules,
} from './split-rules.js';

const isSplitError = (err: unknown): boolean =>
  err instanceof MorphError && err.reason === 'invalid-split-rule';

describe('chunk split rules', () => {
  it('lists products first, then the defaults not already used', () => {
    const rules = chunkSplitRules('test-chunk', [
      { artifact: 'test-chunk-extra', include: ['etc/test\\.d/.*'] },
      { artifact: 'test-chunk-bins', include: ['usr/bin/.*'] },
    ]);
    assert.deepEqual(artifactNames(rules), [
      'test-chunk-extra',
      'test-chunk-bins',
      'test-chunk-libs',
      'test-chunk-devel',
      'test-chunk-doc',
      'test-chunk-locale',
      'test-chunk-misc',
    ]);
    assert.deepEqual(rules[1]?.patterns, ['usr/bin/.*'], 'the explicit rule replaces the default one');
  });

  it('partitions the suite chunk files by prefix match, first rule winning', () => {
    const paths = [
      '.',
      'usr',
      'usr/bin',
      'usr/bin/test',
      'usr/sbin/test',
      'bin/sh',
      'usr/lib/libtest.so',
      'usr/lib32/libtest.so.1',
      'usr/lib64/libtest.so.1.2.3',
      'usr/lib/libtest.a',
      'usr/lib/libtest.la',
      'usr/lib/pkgconfig/test.pc',
      'usr/share/pkgconfig/test.pc',
      'usr/libexec/test-bin',
      'libexec/test-bin',
      'usr/include/test.h',
      'usr/share/info/test.info',
      'usr/share/man/man1/test.1',
      'usr/share/doc/test/README',
      'usr/share/locale/en/test.mo',
      'usr/share/i18n/test',
      'usr/share/zoneinfo/test',
      'etc/test.d/test.conf',
    ];
    const { matches, overlaps, unmatched } = partitionPaths(chunkSplitRules('test-chunk', []), paths);
    assert.deepEqual(Object.fromEntries(matches), {
      'test-chunk-bins': ['usr/bin/test', 'usr/sbin/test', 'bin/sh'],
      'test-chunk-libs': [
        'usr/lib/libtest.so',
        'usr/lib32/libtest.so.1',
        'usr/lib64/libtest.so.1.2.3',
        'usr/libexec/test-bin',
      ],
      'test-chunk-devel': [
        'usr/lib/libtest.a',
        'usr/lib/libtest.la',
        'usr/lib/pkgconfig/test.pc',
        'usr/share/pkgconfig/test.pc',
        'usr/include/test.h',
      ],
      'test-chunk-doc': [
        'usr/share/info/test.info',
        'usr/share/man/man1/test.1',
        'usr/share/doc/test/README',
      ],
      'test-chunk-locale': ['usr/share/locale/en/test.mo', 'usr/share/i18n/test', 'usr/share/zoneinfo/test'],
      'test-chunk-misc': ['.', 'usr', 'usr/bin', 'libexec/test-bin', 'etc/test.d/test.conf'],
    });
    assert.deepEqual(overlaps.get('usr/bin/test'), ['test-chunk-bins', 'test-chunk-misc']);
    assert.equal(overlaps.has('.'), false);
    assert.deepEqual(unmatched, []);
  });

  it('reports paths no rule matches and keeps empty artifacts', () => {
    const { matches, unmatched } = partitionPaths(
      [
        { artifact: 'a', patterns: ['usr/.*'] },
        { artifact: 'b', patterns: [] },
      ],
      ['usr/x', 'etc/y'],
    );
    assert.deepEqual(Object.fromEntries(matches), { a: ['usr/x'], b: [] });
    assert.deepEqual(unmatched, ['etc/y']);
    assert.equal(matchRule([{ artifact: 'a', patterns: ['x'] }], 'y'), undefined);
  });
});

describe('stratum and system rules', () => {
  const stratum = loadMorphology(
    `name: core
kind: stratum
build-depends: []
products:
- artifact: core-tests
  include: [.*-tests$]
chunks:
- name: a
  ref: master
  build-depends: []
  artifacts: {a-misc: core-devel, a-bins: core-extra}
- name: b
  ref: master
  build-depends: []
`,
    'strata/core.morph',
  ) as StratumMorphology;

  it('puts chunk spec assignments (sorted per spec) first, then products, then defaults', () => {
    const rules = stratumSplitRules(stratum);
    assert.deepEqual(artifactNames(rules), ['core-extra', 'core-devel', 'core-tests', 'core-runtime']);
    assert.deepEqual(rules[0], { artifact: 'core-extra', source: 'a', sourceArtifact: 'a-bins' });
  });

  it('assigns chunk artifacts to stratum artifacts', () => {
    const rules = stratumSplitRules(stratum);
    assert.equal(stratumArtifactOf(rules, 'a', 'a-misc'), 'core-devel');
    assert.equal(stratumArtifactOf(rules, 'b', 'b-misc'), 'core-runtime');
    assert.equal(stratumArtifactOf(rules, 'a', 'a-bins'), 'core-extra');
    assert.equal(stratumArtifactOf(rules, 'b', 'b-bins'), 'core-runtime');
    assert.equal(stratumArtifactOf(rules, 'b', 'b-doc'), 'core-devel');
    assert.equal(stratumArtifactOf(rules, 'b', 'b-debug'), 'core-devel');
    assert.equal(stratumArtifactOf(rules, 'b', 'b-tests'), 'core-tests');
    assert.equal(stratumArtifactOf(rules, 'b', 'b-other'), 'core-runtime');
    assert.equal(stratumArtifactOf([{ artifact: 'x', patterns: ['y'] }], 'b', 'z'), undefined);
  });

  it('selects the stratum artifacts a system asks for', () => {
    const produced = ['core-devel', 'core-runtime'];
    assert.deepEqual(selectStratumArtifacts({ morph: 'strata/core.morph' }, produced), produced);
    assert.deepEqual(selectStratumArtifacts({ morph: 's', artifacts: ['core-runtime'] }, produced), [
      'core-runtime',
    ]);
    assert.throws(
      () => selectStratumArtifacts({ morph: 's', name: 'core', artifacts: ['core-tests'] }, produced),
      (err: unknown) => err instanceof MorphError && err.reason === 'unknown-stratum-artifact',
    );
  });
});

describe('Python regex semantics', () => {
  it('matches prefixes only at the start (re.match)', () => {
    assert.ok(pythonMatch('usr/bin', 'usr/bin/x'));
    assert.ok(!pythonMatch('bin', 'usr/bin'));
    assert.ok(pythonMatch('a|b', 'bc'), 'alternation stays inside the anchor');
    assert.ok(!pythonMatch('x|b', 'ab'));
    assert.ok(pythonMatch('.*', ''), 'the empty path matches .*');
  });

  it('translates Python-only syntax', () => {
    assert.deepEqual(translatePythonRegex('(?P<d>lib)/(?P=d)'), { source: '(?<d>lib)/\\k<d>', flags: '' });
    assert.ok(pythonMatch('(?P<d>lib)/(?P=d)', 'lib/lib'));
    assert.ok(pythonMatch('\\Ausr\\Z', 'usr'));
    assert.ok(!pythonMatch('usr\\Z', 'usr/'));
    assert.ok(pythonMatch('(?i)USR/', 'usr/bin'));
    assert.ok(pythonMatch('u(?#comment)sr', 'usr'));
    assert.ok(pythonMatch('(?x) u s r  # spaced out', 'usr'));
    assert.ok(pythonMatch('(?s)a.b', 'a\nb'));
    assert.ok(pythonMatch('[]a]+', ']a'));
    assert.ok(pythonMatch('[^]a]', 'b'));
    assert.ok(pythonMatch('lib\\-x[\\]]', 'lib-x]'), 'escapes unicode mode would reject');
    assert.ok(pythonMatch('(?:usr/)?(?=lib)lib', 'lib'));
    assert.equal(compileSplitPattern('x'), compileSplitPattern('x'), 'compiled patterns are cached');
  });

  it('rejects patterns JavaScript cannot express', () => {
    assert.throws(() => compileSplitPattern('(?(1)a|b)'), isSplitError);
    assert.throws(() => compileSplitPattern('abc\\'), isSplitError);
    assert.throws(() => compileSplitPattern('(unclosed'), isSplitError);
  });
});
