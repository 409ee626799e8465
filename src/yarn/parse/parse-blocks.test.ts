import assert from 'node:assert/strict';
import { test } from 'node:test';
import { YarnError } from '../errors.js';
import type { CodeBlock } from '../model.js';
import { parseBlocks } from './parse-blocks.js';

const blocks = (...texts: string[]): CodeBlock[] => {
  let line = 1;
  return texts.map((text) => {
    const lines = text.split('\n').map((_, i) => line + i);
    line += lines.length + 1;
    return { file: 'f.md', text, lines };
  });
};

test('keywords, AND, ... and whitespace collapsing', () => {
  const r = parseBlocks(blocks('SCENARIO  a \t b\nGIVEN x   y\nAND z\n... more\nFINALLY f\nAND g\nTHEN t\n'));
  assert.equal(r.scenarios[0]!.name, 'a b');
  assert.deepEqual(
    r.scenarios[0]!.steps.map((s) => [s.kind, s.text, s.location.line]),
    [
      ['GIVEN', 'x y', 2],
      ['GIVEN', 'z more', 3],
      ['FINALLY', 'f', 5],
      ['FINALLY', 'g', 6],
      ['THEN', 't', 7],
    ],
  );
});

test('scenarios continue across blocks', () => {
  const r = parseBlocks(blocks('SCENARIO a\nGIVEN x\n', 'THEN y\n'));
  assert.equal(r.scenarios[0]!.steps.length, 2);
});

test('IMPLEMENTS body is the rest of the block up to the next IMPLEMENTS', () => {
  const r = parseBlocks(
    blocks(
      'IMPLEMENTS GIVEN a  (x)\necho 1\n\nSCENARIO not a scenario\nIMPLEMENTS THEN b\nIMPLEMENTS WHEN c\n',
    ),
  );
  assert.deepEqual(
    r.implementations.map((i) => [i.keyword, i.pattern, i.body]),
    [
      ['GIVEN', 'a (x)', 'echo 1\n\nSCENARIO not a scenario'],
      ['THEN', 'b', ''],
      ['WHEN', 'c', ''],
    ],
  );
  assert.equal(r.scenarios.length, 0);
});

test('IMPLEMENTS as the last line takes the next block, and lint notes it', () => {
  const r = parseBlocks(blocks('IMPLEMENTS GIVEN a\n', 'echo body\n'));
  assert.equal(r.implementations[0]!.body, 'echo body');
  assert.equal(r.implementations[0]!.bodyFromNextBlock, true);
  assert.ok(r.notes.some((n) => n.code === 'IMPLEMENTS_TAKES_NEXT_BLOCK'));
});

test('EXAMPLE drops the rest of its block, or the next block when alone', () => {
  const r1 = parseBlocks(blocks('SCENARIO a\nTHEN b\nEXAMPLE\nnot yarn at all\n'));
  assert.equal(r1.scenarios[0]!.steps.length, 1);
  const r2 = parseBlocks(blocks('EXAMPLE\n', 'SCENARIO eaten\nTHEN x\n'));
  assert.equal(r2.scenarios.length, 0);
  assert.ok(r2.notes.some((n) => n.code === 'EXAMPLE_EATS_BLOCK'));
});

test('the unchecked IMPLEMENTS keyword is kept and noted', () => {
  const r = parseBlocks(blocks('IMPLEMENTS given x\ntrue\n'));
  assert.equal(r.implementations[0]!.keyword, 'given');
  assert.ok(r.notes.some((n) => n.code === 'UNCHECKED_KEYWORD'));
});

test('syntax errors carry the reference message and the location', () => {
  const cases: [string, string][] = [
    ['SCENARIO a\nfoo bar\n', 'Syntax error: unknown step: foo bar'],
    ['GIVEN x\n', 'Syntax errror: GIVEN before SCENARIO'],
    ['AND x\n', 'Syntax errror: AND before SCENARIO'],
    ['SCENARIO a\nAND x\n', 'Syntax errror: AND before what it would continue'],
    ['SCENARIO a\n... x\n', 'Syntax error: ... before what it would continue'],
    ['IMPLEMENTS GIVEN\n', 'Syntax error: IMPLEMENTS must have what and regexp'],
    ['SCENARIO a\ngiven lower case\n', 'Syntax error: unknown step: given lower case'],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseBlocks(blocks(text)),
      (err: unknown) =>
        err instanceof YarnError && err.code === 'SYNTAX' && err.message === message && !!err.location,
      text,
    );
  }
});
