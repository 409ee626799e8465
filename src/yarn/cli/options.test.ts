import assert from 'node:assert/strict';
import { test } from 'node:test';
import { YarnError } from '../errors.js';
import { parseArgs } from './options.js';

test('cliapp syntax: --opt=V, --opt V, -rNAME, -r NAME, bundled booleans, --no-X, --', () => {
  const a = parseArgs([
    '--env=A=1',
    '--env',
    'B=2',
    '-rone',
    '-r',
    'two',
    '-qn',
    '--no-verbose',
    'f.md',
    '--',
    '-x.md',
  ]);
  assert.deepEqual(a.lists.env, ['A=1', 'B=2']);
  assert.deepEqual(a.lists.run, ['one', 'two']);
  assert.equal(a.bools.quiet, true);
  assert.equal(a.bools.dryRun, true);
  assert.equal(a.bools.verbose, false);
  assert.deepEqual(a.files, ['f.md', '-x.md']);
  assert.equal(parseArgs(['--shell-arg=']).lists.shellArg![0], '');
});

test('unknown options and missing values are USAGE errors', () => {
  for (const argv of [['--bogus'], ['-Z'], ['--tempdir'], ['--quiet=1']]) {
    assert.throws(
      () => parseArgs(argv),
      (e: unknown) => e instanceof YarnError && e.code === 'USAGE',
      argv.join(' '),
    );
  }
});

test('the option table checks values: --format, --jobs, --retry, --timeout, --step-timeout', () => {
  for (const argv of [
    ['--format=xml'],
    ['-j', '0'],
    ['--jobs=two'],
    ['--retry=-1'],
    ['--retry=1.5'],
    ['--timeout=0'],
    ['--step-timeout=soon'],
  ]) {
    assert.throws(
      () => parseArgs(argv),
      (e: unknown) => e instanceof YarnError && e.code === 'USAGE',
      argv.join(' '),
    );
  }
  const ok = parseArgs(['--format=tap', '-j', 'auto', '--retry=2', '--timeout=0.5', 'f.md']);
  assert.equal(ok.strings.format, 'tap');
  assert.equal(ok.strings.jobs, 'auto');
});
