import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCommand } from '../../shared/exec.js';
import { MorphError } from '../errors.js';
import { ArtifactCache, parseGVariantString } from './artifact-cache.js';
import { OstreeWorker } from './ostree-worker.js';

/** Runs `fn` with commits written by the libostree worker, or by one `ostree` process each. */
async function withWriter<T>(writer: 'worker' | 'cli', fn: () => Promise<T>): Promise<T> {
  const saved = process.env.MORPH_OSTREE_WORKER;
  if (writer === 'cli') process.env.MORPH_OSTREE_WORKER = '0';
  else delete process.env.MORPH_OSTREE_WORKER;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.MORPH_OSTREE_WORKER;
    else process.env.MORPH_OSTREE_WORKER = saved;
  }
}

async function makeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content, { mode: 0o644 });
  }
}

for (const writer of ['worker', 'cli'] as const) {
  test(`an artifact round-trips through the OSTree repository (${writer} writes)`, () =>
    withWriter(writer, roundTrip));
}

/** Whether this host runs the libostree worker (python3 with the OSTree bindings). */
const workerRuns =
  (await withWriter('worker', async () => OstreeWorker.forRepo('unused', 'unused'))) !== undefined;

test('the worker and the ostree command write the same commits, which fsck accepts', {
  skip: workerRuns ? false : 'no python3 with the OSTree bindings here: there is no worker to compare',
}, async () => {
  const top = await mkdtemp(join(tmpdir(), 'artifact-cache-'));
  try {
    const files = { 'usr/bin/a': 'a\n', 'usr/share/doc/b': 'bb\n', 'etc/c': '' };
    const checksums: string[] = [];
    for (const writer of ['worker', 'cli'] as const) {
      const cache = await withWriter(writer, () => ArtifactCache.open(join(top, writer)));
      for (const consume of [false, true]) {
        const tree = join(top, `${writer}-${consume}`);
        await makeTree(tree, files);
        const ref = cache.ref('k', 'chunk', `x-${consume}`);
        const options = { subject: 'x', metadata: { 'morph.k': 'v' }, consume };
        checksums.push(await withWriter(writer, () => cache.commitTree(tree, ref, options)));
        const left = await stat(join(tree, 'usr/bin/a')).then(
          () => true,
          (err: NodeJS.ErrnoException) => {
            if (err.code !== 'ENOENT') throw err;
            return false;
          },
        );
        assert.equal(left, !consume, consume ? 'a consumed tree is taken' : 'a tree not consumed stays');
      }
      cache.close();
      await runCommand(['ostree', `--repo=${cache.repoPath}`, 'fsck', '--quiet']);
    }
    assert.equal(new Set(checksums).size, 1, `one checksum: ${checksums.join(' ')}`);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('a failed write through the worker is a cache/commit-failed error naming the artifact', async () => {
  const top = await mkdtemp(join(tmpdir(), 'artifact-cache-'));
  try {
    const cache = await ArtifactCache.open(join(top, 'cache'));
    const ref = cache.ref('k', 'chunk', 'gone');
    await assert.rejects(
      cache.commitTree(join(top, 'missing'), ref, { subject: 'x' }),
      (err) => err instanceof MorphError && err.reason === 'commit-failed' && err.message.includes(ref),
    );
    // The worker goes on after a failure.
    await makeTree(join(top, 'tree'), { f: 'x' });
    await cache.commitTree(join(top, 'tree'), ref, { subject: 'x' });
    assert.equal(await cache.hasRef(ref), true);
    cache.close();
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

async function roundTrip(): Promise<void> {
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
    cache.close();
  } finally {
    await rm(top, { recursive: true, force: true });
  }
}

test('GVariant strings are unquoted', () => {
  assert.equal(parseGVariantString("'abc'"), 'abc');
  assert.equal(parseGVariantString(`"it's"`), "it's");
  assert.equal(parseGVariantString("'a\\'b'"), "a'b");
});

test('layering is associative: layers of layers give the very commit of the flat list', async () => {
  const top = await mkdtemp(join(tmpdir(), 'artifact-cache-'));
  const cache = await ArtifactCache.open(join(top, 'cache'));
  try {
    const refs: string[] = [];
    const trees: Record<string, string>[] = [
      { 'usr/bin/a': 'a', 'etc/x': '1' },
      { 'usr/bin/b': 'b', 'usr/lib/l': 'l' },
      { 'etc/x': '3', 'usr/share/s': 's' },
      { 'usr/bin/a': 'a4' },
    ];
    for (const [i, files] of trees.entries()) {
      await makeTree(join(top, `t${i}`), files);
      refs.push(cache.ref(`k${i}`, 'chunk', `c${i}`));
      await cache.commitTree(join(top, `t${i}`), refs[i] as string, { subject: `c${i}` });
    }
    const flat = await cache.layer(refs);
    const halves = [await cache.layered(refs.slice(0, 2)), await cache.layered(refs.slice(2))];
    assert.equal(await cache.layer(halves), flat);
    assert.equal(cache.layered(refs.slice(0, 2)), cache.layered(refs.slice(0, 2)), 'remembered');
    const out = join(top, 'out');
    await cache.checkout(flat, out, { hardlink: true });
    assert.equal(await readFile(join(out, 'usr/bin/a'), 'utf8'), 'a4');
    assert.equal(await readFile(join(out, 'etc/x'), 'utf8'), '3');
  } finally {
    cache.close();
    await rm(top, { recursive: true, force: true });
  }
});

for (const writer of ['worker', 'cli'] as const) {
  test(`a write waits while another process holds the repository's write lock (${writer} writes)`, () =>
    withWriter(writer, async () => {
      const top = await mkdtemp(join(tmpdir(), 'artifact-cache-'));
      const cache = await ArtifactCache.open(join(top, 'cache'));
      try {
        await makeTree(join(top, 'tree'), { f: 'x' });
        // Another morph process in the middle of a write: holds the lock for a second.
        const holder = spawn('flock', [cache.writeLockPath, 'sh', '-c', 'echo held; sleep 1'], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        await new Promise((resolve) => holder.stdout.once('data', resolve));
        const released = new Promise<number>((resolve) => holder.on('close', () => resolve(Date.now())));
        await cache.commitTree(join(top, 'tree'), cache.ref('k', 'chunk', 'c'), { subject: 'c' });
        const committed = Date.now();
        assert.ok(committed >= (await released), 'the commit finished only after the lock was released');
        assert.equal(await cache.hasRef(cache.ref('k', 'chunk', 'c')), true);
      } finally {
        cache.close();
        await rm(top, { recursive: true, force: true });
      }
    }));
}
