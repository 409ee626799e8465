import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYarnSources } from '../parse/parse-yarn.js';
import { lintDocument } from './lint-document.js';

function codes(text: string): string[] {
  const sources = [{ file: 'f.md', text }];
  return lintDocument(parseYarnSources(sources), sources).map((f) => `${f.location} ${f.code}`);
}

test('flags every reference trap with its location', () => {
  const text = [
    'Lazy:',
    '    SCENARIO lazy',
    '',
    '```',
    'SCENARIO fenced',
    '```',
    '',
    '    EXAMPLE',
    '',
    'prose',
    '',
    '    SCENARIO eaten',
    '',
    'prose',
    '',
    '    SCENARIO real',
    '    THEN value foobar',
    '    AND lazy x',
    '',
    '    IMPLEMENTS THEN value foo|value foobar',
    '    true',
    '    IMPLEMENTS THEN lazy (.*?)',
    '    true',
    '    IMPLEMENTS given nothing',
    '    IMPLEMENTS THEN unused',
    '',
    'x',
    '',
    '    true',
  ].join('\n');
  const found = codes(text);
  for (const expected of [
    'f.md:2 NOT_A_CODE_BLOCK',
    'f.md:4 FENCED_SCENARIO',
    'f.md:8 EXAMPLE_EATS_BLOCK',
    'f.md:17 END_CHECK',
    'f.md:18 END_CHECK',
    'f.md:20 ALTERNATION_PREFIX',
    'f.md:22 TRAILING_LAZY',
    'f.md:24 UNCHECKED_KEYWORD',
    'f.md:25 IMPLEMENTS_TAKES_NEXT_BLOCK',
    'f.md:25 UNUSED_IMPLEMENTS',
  ]) {
    assert.ok(found.includes(expected), `${expected} not in ${JSON.stringify(found)}`);
  }
});

test('a clean file has no findings', () => {
  assert.deepEqual(codes('    SCENARIO s\n    THEN ok\n\n    IMPLEMENTS THEN ok\n    true\n'), []);
});
