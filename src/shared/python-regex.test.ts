import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translatePythonRegex, UnsupportedPythonRegex } from './python-regex.js';

test('named groups, back references, anchors, comments and inline flags translate', () => {
  assert.deepEqual(translatePythonRegex('(?P<d>lib)/(?P=d)'), { source: '(?<d>lib)/\\k<d>', flags: '' });
  assert.deepEqual(translatePythonRegex('\\Ausr(?#c)\\Z'), { source: '^usr$(?![\\s\\S])', flags: '' });
  assert.deepEqual(translatePythonRegex('(?is)a.b'), { source: 'a.b', flags: 'is' });
  assert.deepEqual(translatePythonRegex('(?x) a b  # spaced'), { source: 'ab', flags: '' });
});

test('quantifiers, scoped groups and literal brackets mean what they mean in Python', () => {
  const re = (pattern: string): RegExp => {
    const { source, flags } = translatePythonRegex(pattern);
    return new RegExp(`^(?:${source})$`, flags);
  };
  assert.ok(re('a{,2}').test('aa') && !re('a{,2}').test('a{,2}'), '{,n} is {0,n}');
  assert.ok(re('x{').test('x{'), 'a lone { is literal');
  assert.ok(re('(?i:usr)/').test('usr/'));
  assert.ok(re('[]a]+').test(']a') && re('[^]a]').test('b'));
});

test('unicode mode: \\w is Unicode-aware and identity escapes are plain characters', () => {
  const { source, flags } = translatePythonRegex('\\w+ \\"x\\"', { unicode: true });
  assert.ok(new RegExp(`^${source}$`, `u${flags}`).test('äpfel "x"'));
});

test('syntax JavaScript cannot express is refused', () => {
  for (const pattern of ['(?(1)a|b)', '(?>a)', '(?-i:a)', '\\N{DASH}', 'abc\\']) {
    assert.throws(() => translatePythonRegex(pattern), UnsupportedPythonRegex, pattern);
  }
});
