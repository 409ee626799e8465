import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { thrownReason } from '../../../test/support/thrown-reason.js';
import { parseCommandLine } from './parse-command-line.js';

const simple = (argv: string[]) => {
  const parsed = parseCommandLine(argv);
  return { options: parsed.options.map((o) => [o.spec.name, o.value]), positional: parsed.positional };
};

describe('parseCommandLine', () => {
  it('parses the invocation form of the 2015 suites', () => {
    const parsed = simple([
      '--verbose',
      '--cachedir-min-space=0',
      '--tempdir-min-space=0',
      '--no-default-config',
      '--config',
      '/d/morph.conf',
      '--log=/d/log-build',
      'build',
      'systems/x.morph',
    ]);
    assert.deepEqual(parsed.options, [
      ['verbose', true],
      ['cachedir-min-space', 0],
      ['tempdir-min-space', 0],
      ['no-default-configs', true],
      ['config', ['/d/morph.conf']],
      ['log', '/d/log-build'],
    ]);
    assert.deepEqual(parsed.positional, ['build', 'systems/x.morph']);
  });

  it('accepts options between positional arguments', () => {
    const parsed = simple(['branch-from-image', '--metadata-dir', '/m', 'mybranch']);
    assert.deepEqual(parsed.options, [['metadata-dir', '/m']]);
    assert.deepEqual(parsed.positional, ['branch-from-image', 'mybranch']);
  });

  it('stops option parsing at --', () => {
    const parsed = simple(['foreach', '--', 'git', 'push', '--verbose', '-u']);
    assert.deepEqual(parsed.options, []);
    assert.deepEqual(parsed.positional, ['foreach', 'git', 'push', '--verbose', '-u']);
  });

  it('parses bytesizes with suffixes and bundled short booleans', () => {
    assert.deepEqual(simple(['--tempdir-min-space', '4G', '-vq']).options, [
      ['tempdir-min-space', 4 * 1024 ** 3],
      ['verbose', true],
      ['quiet', true],
    ]);
  });

  it('prefers an exact name to a longer one it prefixes', () => {
    assert.deepEqual(simple(['--cachedir=/c']).options, [['cachedir', '/c']]);
  });

  it('accepts the trove-prefix alias', () => {
    assert.deepEqual(simple(['--trove-prefix=x']).options, [['trove-id', ['x']]]);
  });

  it('rejects unknown, ambiguous, valueless and value-taking-booleans', () => {
    assert.equal(
      thrownReason(() => parseCommandLine(['--bogus'])),
      'usage',
    );
    assert.equal(
      thrownReason(() => parseCommandLine(['--c=x'])),
      'usage',
    );
    assert.equal(
      thrownReason(() => parseCommandLine(['--log'])),
      'usage',
    );
    assert.equal(
      thrownReason(() => parseCommandLine(['--verbose=yes'])),
      'usage',
    );
    assert.equal(
      thrownReason(() => parseCommandLine(['-x'])),
      'usage',
    );
    assert.equal(
      thrownReason(() => parseCommandLine(['--max-jobs=many'])),
      'bad-value',
    );
    assert.equal(
      thrownReason(() => parseCommandLine(['--local-changes=maybe'])),
      'bad-value',
    );
  });

  it('keeps a lone dash as a positional argument', () => {
    assert.deepEqual(simple(['x', '-']).positional, ['x', '-']);
  });
});
