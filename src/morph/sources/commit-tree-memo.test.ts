import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CommitTreeMemo } from './commit-tree-memo.js';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
const temp = () => {
  const root = mkdtempSync(join(tmpdir(), 'morph-memo-'));
  roots.push(root);
  return root;
};
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('CommitTreeMemo', () => {
  it('remembers trees across instances, creating its directory', () => {
    const file = join(temp(), 'gits', 'commit-trees');
    const memo = new CommitTreeMemo(file);
    assert.equal(memo.get(A), undefined);
    memo.remember(A, B);
    memo.remember(A, B);
    assert.equal(memo.get(A), B);
    assert.equal(readFileSync(file, 'utf8'), `${A} ${B}\n`, 'each entry written once');
    assert.equal(new CommitTreeMemo(file).get(A), B);
  });

  it('skips lines it cannot read and refuses entries that are no object names', () => {
    const file = join(temp(), 'commit-trees');
    writeFileSync(file, `${A} ${B}\n${C} ${A.slice(3)}\ngarbage\n${B} ${C}`);
    const memo = new CommitTreeMemo(file);
    assert.equal(memo.get(A), B);
    assert.equal(memo.get(C), undefined, 'a torn line');
    assert.equal(memo.get(B), C);
    memo.remember('HEAD', A);
    assert.equal(memo.get('HEAD'), undefined);
  });

  it('keeps working in memory when the file cannot be written', () => {
    const notADirectory = join(temp(), 'file');
    writeFileSync(notADirectory, '');
    const memo = new CommitTreeMemo(join(notADirectory, 'commit-trees'));
    memo.remember(A, B);
    assert.equal(memo.get(A), B);
  });
});
