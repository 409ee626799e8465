import assert from 'node:assert/strict';
import { test } from 'node:test';
import { YarnError } from '../errors.js';
import { compileYarnRegex, matchYarn } from './yarn-regex.js';

const m = (pattern: string, text: string) => matchYarn(compileYarnRegex(pattern), text);

test('yarn match rule: anchored start, end check, not fullmatch', () => {
  assert.deepEqual(m('foo|foobar', 'foo'), []);
  assert.equal(m('foo|foobar', 'foobar'), undefined);
  assert.equal(m('value is (.*?)', 'value is abc'), undefined);
  assert.deepEqual(m('value is (.*?)', 'value is '), ['']);
  assert.equal(m('bar', 'foobar'), undefined);
});

test('case-insensitive, Unicode-aware like Python 3', () => {
  assert.deepEqual(m('äpfel', 'ÄPFEL'), []);
  assert.deepEqual(m('\\w+ (\\d+)', 'föö 12'), ['12']);
});

test('Python syntax is translated', () => {
  assert.deepEqual(m('(?P<n>\\d+) and (?P=n)', '12 and 12'), ['12']);
  assert.equal(m('(?P<n>\\d+) and (?P=n)', '12 and 13'), undefined);
  assert.deepEqual(m('x\\Z', 'x'), []);
  assert.deepEqual(m('\\Ax y', 'x y'), []);
  assert.deepEqual(m('(?x) a b  c # comment', 'abc'), []);
  assert.deepEqual(m('say \\"(.*)\\"', 'say "hi"'), ['hi']);
  assert.deepEqual(m('[]a]+', ']a]'), []);
  assert.deepEqual(m('(?#note)yes', 'yes'), []);
  assert.deepEqual(m('(?s)a.b', 'a b'), []);
  assert.deepEqual(m('a{,2}b', 'aab'), []);
  assert.deepEqual(m('(?i:x)y', 'XY'), []);
});

test('unmatched optional groups are empty strings (MATCH_n)', () => {
  assert.deepEqual(m('a(b)?c', 'ac'), ['']);
  assert.deepEqual(m('(a)|(b)', 'b'), ['', 'b']);
});

test('bad patterns are BAD_PATTERN errors with the location', () => {
  for (const bad of ['(unclosed', '(?(1)a|b)', 'a**', '(?-i:x)']) {
    assert.throws(
      () => compileYarnRegex(bad, 'f.md:3'),
      (err: unknown) => err instanceof YarnError && err.code === 'BAD_PATTERN' && err.location === 'f.md:3',
      bad,
    );
  }
});
