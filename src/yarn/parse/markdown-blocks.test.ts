import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractCodeBlocks } from './markdown-blocks.js';

// dist/src/yarn/parse -> src/yarn/parse/testdata (testdata is not compiled)
const here = dirname(fileURLToPath(import.meta.url));
const testdata = join(here, '..', '..', '..', '..', 'src', 'yarn', 'parse', 'testdata');

for (const name of readdirSync(testdata).filter((f) => f.endsWith('.md'))) {
  test(`code blocks of ${name} are the ones python-markdown finds`, () => {
    const source = readFileSync(join(testdata, name), 'utf8');
    const expected = JSON.parse(readFileSync(join(testdata, name.replace(/\.md$/, '.blocks.json')), 'utf8'));
    assert.deepEqual(
      extractCodeBlocks(source, name).map((b) => b.text),
      expected,
    );
  });
}

test('every block line keeps its source line number', () => {
  const blocks = extractCodeBlocks('Title\n\n    SCENARIO a\n    THEN b\n\n\n    THEN c\n', 'f.md');
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0]!.text, 'SCENARIO a\nTHEN b\n\n\nTHEN c\n');
  const lines = blocks[0]!.text.split('\n');
  assert.equal(blocks[0]!.lines[lines.indexOf('SCENARIO a')], 3);
  assert.equal(blocks[0]!.lines[lines.indexOf('THEN b')], 4);
  assert.equal(blocks[0]!.lines[lines.indexOf('THEN c')], 7);
});

test('line numbers survive headers, html blocks and lists before a block', () => {
  const src = '# H\n\n<div>\nx\n</div>\n\n* a\n* b\n\npara\n\n    SCENARIO z\n    THEN y\n';
  const [block] = extractCodeBlocks(src, 'g.md');
  assert.equal(block!.lines[0], 12);
  assert.equal(block!.lines[1], 13);
});

test('an empty or blank document has no blocks', () => {
  assert.deepEqual(extractCodeBlocks('', 'e.md'), []);
  assert.deepEqual(extractCodeBlocks('  \n\n', 'e.md'), []);
});
