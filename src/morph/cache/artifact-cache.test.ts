import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArtifactCache, parseGVariantString } from './artifact-cache.js';

test('an artifact round-trips through the OSTree repository', async () => {
  const top = await mkdtemp(join(tmpdir(), 'artifact-cache-'));
  try {
    const cache = await ArtifactCache.open(join(top, 'cache'));
    const tree = join(top, 'tree');
    await mkdir(join(tree, 'usr/bin'), { recursive: true });
    await writeFile(join(tree, 'usr/bin/hello'), 'hi\n', { mode: 0o755 });
    const ref = cache.ref('k1', 'chunk', 'hello-bins');
    assert.equal(await cache.has('k1', 'chunk', 'hello-bins'), false);
    await cache.commitTree(tree, ref, { subject: 'hello', metadata: { 'morph.x': "it's" } });
    assert.equal(await cache.has('k1', 'chunk', 'hello-bins'), true);
    assert.equal(await cache.readMetadata(ref, 'morph.x'), "it's");
    assert.equal(await cache.readMetadata(ref, 'morph.none'), undefined);
    assert.equal(await cache.readFile(ref, '/usr/bin/hello'), 'hi\n');

    const out = join(top, 'out');
    await cache.checkout(ref, out, { hardlink: true });
    const st = await stat(join(out, 'usr/bin/hello'));
    assert.equal(st.mode & 0o777, 0o755);
    assert.ok(st.nlink >= 2, 'hard-linked from the repository');
    await mkdir(join(top, 'tree2'));
    await writeFile(join(top, 'tree2/other'), 'x');
    const ref2 = cache.ref('k2', 'chunk', 'other');
    await cache.commitTree(join(top, 'tree2'), ref2, { subject: 'other' });
    await cache.checkout(ref2, out, { hardlink: true, union: true });
    assert.equal(await readFile(join(out, 'other'), 'utf8'), 'x');
    assert.deepEqual((await cache.listRefs()).sort(), [ref, ref2].sort());

    await mkdir(join(top, 'tree3/usr/bin'), { recursive: true });
    await writeFile(join(top, 'tree3/usr/bin/hello'), 'replaced\n');
    const ref3 = cache.ref('k3', 'chunk', 'hello-override');
    await cache.commitTree(join(top, 'tree3'), ref3, { subject: 'override' });
    const many = join(top, 'many');
    await cache.checkoutMany([ref, ref2, ref3], many, { union: true, hardlink: true });
    assert.equal(await readFile(join(many, 'usr/bin/hello'), 'utf8'), 'replaced\n', 'later artifacts win');
    assert.equal(await readFile(join(many, 'other'), 'utf8'), 'x', 'trees merge');
    assert.deepEqual((await cache.listRefs()).length, 3, 'the layered commit has no ref');

    await cache.deleteRefs([ref]);
    assert.equal(await cache.has('k1', 'chunk', 'hello-bins'), false);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('GVariant strings are unquoted', () => {
  assert.equal(parseGVariantString("'abc'"), 'abc');
  assert.equal(parseGVariantString(`"it's"`), "it's");
  assert.equal(parseGVariantString("'a\\'b'"), "a'b");
});
