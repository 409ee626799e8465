import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MorphError } from '../errors.js';
import { GitBatch } from './git-batch.js';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function repo() {
  const dir = mkdtempSync(join(tmpdir(), 'morph-gitbatch-'));
  roots.push(dir);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir })
      .toString()
      .trim();
  git('init', '-q', '-b', 'master');
  mkdirSync(join(dir, 'dir'));
  writeFileSync(join(dir, 'dir', 'file'), Buffer.from([0, 10, 1, 255, 10]));
  writeFileSync(join(dir, 'big'), Buffer.alloc(3 * 1024 * 1024, 'x\n'));
  writeFileSync(join(dir, 'empty'), '');
  git('add', '.');
  git('commit', '-qm', 'one');
  git('tag', '-a', '-m', 'annotated', 'v1');
  return { dir, git };
}

describe('GitBatch', () => {
  it('reads commits (tags peeled), trees and blobs by path, binary and large ones included', async () => {
    const { dir, git } = repo();
    const batch = new GitBatch(dir);
    const commit = await batch.read('v1^{commit}');
    assert.equal(commit?.oid, git('rev-parse', 'HEAD'));
    assert.equal(commit?.type, 'commit');
    assert.equal(commit?.data.toString(), git('cat-file', 'commit', 'HEAD').concat('\n'));
    assert.equal((await batch.read('HEAD^{tree}'))?.oid, git('rev-parse', 'HEAD^{tree}'));
    assert.deepEqual((await batch.read('HEAD:dir/file'))?.data, Buffer.from([0, 10, 1, 255, 10]));
    const big = await batch.read('master:big');
    assert.equal(big?.type, 'blob');
    assert.equal(big?.data.length, 3 * 1024 * 1024);
    assert.equal(big?.data.toString('latin1').replace(/x\n/g, ''), '');
    batch.close();
  });

  it('answers requests made at once in order, missing and unreadable names as undefined', async () => {
    const { dir, git } = repo();
    const batch = new GitBatch(dir);
    const results = await Promise.all([
      batch.read('master:big'),
      batch.read('no-such-branch'),
      batch.read('HEAD:dir/file'),
      batch.read('HEAD:dir'),
      batch.read('two\nlines'),
      batch.read(''),
      batch.read(`${git('rev-parse', 'HEAD:dir/file')}^{commit}`),
      batch.read('HEAD'),
      batch.read('HEAD:empty'),
      batch.read('HEAD:big'),
    ]);
    assert.deepEqual(
      results.map((r) => r?.type),
      ['blob', undefined, 'blob', 'tree', undefined, undefined, undefined, 'commit', 'blob', 'blob'],
    );
    assert.equal(results[7]?.oid, git('rev-parse', 'HEAD'));
    assert.equal(results[8]?.data.length, 0);
    assert.deepEqual(results[9]?.data, results[0]?.data);
    batch.close();
  });

  it('sees refs moved and objects added after it started', async () => {
    const { dir, git } = repo();
    const batch = new GitBatch(dir);
    const first = await batch.read('master^{commit}');
    writeFileSync(join(dir, 'more'), 'more\n');
    git('add', 'more');
    git('commit', '-qm', 'two');
    git('gc', '-q');
    const second = await batch.read('master^{commit}');
    assert.notEqual(second?.oid, first?.oid);
    assert.equal(second?.oid, git('rev-parse', 'master'));
    assert.equal((await batch.read('master:more'))?.data.toString(), 'more\n');
    batch.close();
  });

  it('gives undefined outside a repository and after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morph-gitbatch-'));
    roots.push(dir);
    const outside = new GitBatch(dir);
    assert.equal(await outside.read('HEAD'), undefined);
    assert.equal(outside.usable, false);
    const { dir: inside } = repo();
    const batch = new GitBatch(inside);
    assert.ok(batch.usable);
    batch.close();
    assert.equal(batch.usable, false);
    assert.equal(await batch.read('HEAD'), undefined);
  });

  it('throws sources/git-failed when git cannot be started', async () => {
    const { dir } = repo();
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let batch: GitBatch;
    try {
      batch = new GitBatch(dir);
    } finally {
      process.env.PATH = path;
    }
    await assert.rejects(
      batch.read('HEAD'),
      (err) =>
        err instanceof MorphError && err.reason === 'git-failed' && /cannot read HEAD/.test(err.message),
    );
  });
});
