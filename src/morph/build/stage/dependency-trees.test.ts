import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArtifactCache } from '../../cache/artifact-cache.js';
import { DependencyTrees } from './dependency-trees.js';

/**
 * An ArtifactCache that records the revisions of every layered commit it is
 * asked for, and fails the next `failures` of them.
 */
class CountingCache {
  readonly layers: string[][] = [];
  failures = 0;
  constructor(readonly cache: ArtifactCache) {}
  wrap(): ArtifactCache {
    return new Proxy(this.cache, {
      get: (target, name) => {
        if (name === 'layer')
          return (revs: string[]) => {
            this.layers.push(revs);
            if (this.failures-- > 0) return Promise.reject(new Error('disk full'));
            return target.layer(revs);
          };
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}

async function commitFiles(cache: ArtifactCache, top: string, name: string, files: Record<string, string>) {
  const dir = join(top, 'trees', name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const ref = cache.ref(name, 'chunk', name);
  await cache.commitTree(dir, ref, { subject: name, consume: true });
  return ref;
}

/**
 * Runs `body` with a fresh cache holding four artifacts: a (usr/bin/a,
 * etc/x), b (usr/bin/b), c (etc/x again) and d (usr/lib/d); removes it all after.
 */
async function withFourArtifacts(
  body: (top: string, cache: ArtifactCache, refs: [string, string, string, string]) => Promise<void>,
): Promise<void> {
  const top = await mkdtemp(join(tmpdir(), 'dependency-trees-'));
  const cache = await ArtifactCache.open(join(top, 'cache'));
  try {
    const a = await commitFiles(cache, top, 'a', { 'usr/bin/a': 'a', 'etc/x': 'from a' });
    const b = await commitFiles(cache, top, 'b', { 'usr/bin/b': 'b' });
    const c = await commitFiles(cache, top, 'c', { 'etc/x': 'from c' });
    const d = await commitFiles(cache, top, 'd', { 'usr/lib/d': 'd' });
    await body(top, cache, [a, b, c, d]);
  } finally {
    cache.close();
    await rm(top, { recursive: true, force: true });
  }
}

test('one checkout per dependency list, layered on the longest layered prefix, removed at the end', () =>
  withFourArtifacts(async (top, cache, [a, b, c, d]) => {
    const counting = new CountingCache(cache);
    const trees = new DependencyTrees(counting.wrap(), join(top, 'staging'));

    const [first, again] = await Promise.all([
      trees.acquire([a, b], { ldconfig: false }),
      trees.acquire([a, b], { ldconfig: false }),
    ]);
    assert.equal(first, again, 'concurrent requests share one tree');
    assert.deepEqual((await readdir(join(first, 'usr/bin'))).sort(), ['a', 'b']);
    assert.ok((await stat(join(first, 'usr/bin/a'))).nlink >= 2, 'files are hard links');

    const wider = await trees.acquire([a, b, c, d], { ldconfig: false });
    assert.notEqual(wider, first);
    assert.equal(await readFile(join(wider, 'etc/x'), 'utf8'), 'from c', 'later artifacts win');
    assert.equal(await readFile(join(wider, 'usr/lib/d'), 'utf8'), 'd');
    assert.equal(counting.layers.length, 2);
    assert.deepEqual(counting.layers[0], [a, b]);
    assert.equal(counting.layers[1]?.length, 3, 'the second layering starts from the first');
    assert.deepEqual(counting.layers[1]?.slice(1), [c, d]);

    const single = await trees.acquire([d], { ldconfig: false });
    assert.deepEqual(await readdir(join(single, 'usr/lib')), ['d']);
    assert.equal(counting.layers.length, 2, 'one artifact needs no layering');
    const none = await trees.acquire([], { ldconfig: false });
    assert.deepEqual(await readdir(none), []);

    await trees.removeAll();
    for (const tree of [first, wider, single, none]) assert.equal(existsSync(tree), false, tree);
  }));

test('ldconfig runs only when asked and the tree has etc/ld.so.conf', async () => {
  const top = await mkdtemp(join(tmpdir(), 'dependency-trees-'));
  const cache = await ArtifactCache.open(join(top, 'cache'));
  try {
    const withConf = await commitFiles(cache, top, 'libc', { 'etc/ld.so.conf': '' });
    const without = await commitFiles(cache, top, 'plain', { 'usr/bin/x': 'x' });
    const ran: string[][] = [];
    const trees = new DependencyTrees(cache, join(top, 'staging'), async (argv) => {
      ran.push(argv);
    });
    const plain = await trees.acquire([withConf], { ldconfig: false });
    assert.deepEqual(ran, []);
    const staged = await trees.acquire([withConf], { ldconfig: true });
    assert.notEqual(staged, plain, 'an ldconfig tree is not shared with a plain one');
    assert.deepEqual(ran, [['ldconfig', '-r', staged]]);
    await trees.acquire([without], { ldconfig: true });
    assert.equal(ran.length, 1);
    await trees.removeAll();
  } finally {
    cache.close();
    await rm(top, { recursive: true, force: true });
  }
});

test('a tree no chunk needs any more becomes the base of the next list that extends it', () =>
  withFourArtifacts(async (top, cache, [a, b, c, d]) => {
    const counting = new CountingCache(cache);
    const trees = new DependencyTrees(counting.wrap(), join(top, 'staging'));
    const plain = { ldconfig: false };
    // Two chunks stage [a, b]; one stages [a, b, c, d] after them.
    trees.expect([a, b], plain);
    trees.expect([a, b], plain);
    trees.expect([a, b, c, d], plain);

    const first = await trees.acquire([a, b], plain);
    await trees.acquire([a, b], plain);
    trees.release([a, b], plain);
    const busy = await trees.acquire([a, b, c], plain);
    assert.notEqual(busy, first, 'a tree still in use is not taken over');
    trees.release([a, b], plain);

    const next = await trees.acquire([a, b, c, d], plain);
    assert.equal(next, first, 'the retired [a, b] tree was taken over, not the busy [a, b, c] one');
    trees.release([a, b, c], plain);
    assert.equal(await readFile(join(next, 'etc/x'), 'utf8'), 'from c', 'later artifacts win');
    assert.deepEqual((await readdir(join(next, 'usr/bin'))).sort(), ['a', 'b']);
    assert.equal(await readFile(join(next, 'usr/lib/d'), 'utf8'), 'd');
    assert.deepEqual(counting.layers.at(-1), [c, d], 'only the new artifacts were layered');

    const again = await trees.acquire([a, b], plain);
    assert.notEqual(again, first, 'a list asked for again after its tree was taken over gets a new one');
    assert.deepEqual((await readdir(join(again, 'usr/bin'))).sort(), ['a', 'b']);
    assert.equal(existsSync(join(again, 'usr/lib/d')), false);
    await trees.removeAll();
    assert.deepEqual(await readdir(join(top, 'staging')), []);
  }));

test('lists still to come are layered as their artifacts are stored, so preparing them layers nothing more', () =>
  withFourArtifacts(async (top, cache, [a, b, c, d]) => {
    const counting = new CountingCache(cache);
    const trees = new DependencyTrees(counting.wrap(), join(top, 'staging'));
    const plain = { ldconfig: false };
    trees.expect([a, b], plain);
    trees.expect([a, b, c, d], plain);

    trees.stored([a, b]);
    trees.stored([c]);
    assert.deepEqual(counting.layers, [[a, b]], '[c] alone is not worth a layer');
    trees.stored([d]);
    assert.deepEqual(
      counting.layers,
      [
        [a, b],
        [c, d],
      ],
      'the next list is layered on top of the one it extends',
    );

    const first = await trees.acquire([a, b], plain);
    trees.release([a, b], plain);
    const next = await trees.acquire([a, b, c, d], plain);
    assert.equal(next, first, 'the [a, b] tree was taken over');
    assert.equal(counting.layers.length, 2, 'preparing the trees layered nothing more');
    assert.equal(await readFile(join(next, 'etc/x'), 'utf8'), 'from c', 'later artifacts win');
    assert.equal(await readFile(join(next, 'usr/lib/d'), 'utf8'), 'd');
    await trees.removeAll();
  }));

test('a layering that failed in the background is tried again when the tree is prepared', () =>
  withFourArtifacts(async (top, cache, [a, b]) => {
    const counting = new CountingCache(cache);
    counting.failures = 1;
    const trees = new DependencyTrees(counting.wrap(), join(top, 'staging'));
    trees.expect([a, b], { ldconfig: false });
    trees.stored([a, b]);
    await new Promise((resolve) => setImmediate(resolve));
    const tree = await trees.acquire([a, b], { ldconfig: false });
    assert.deepEqual((await readdir(join(tree, 'usr/bin'))).sort(), ['a', 'b']);
    assert.equal(counting.layers.length, 2, 'layered again');
    await trees.removeAll();
  }));
