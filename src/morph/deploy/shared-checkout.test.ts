import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CleanupStack } from '../../shared/cleanup-stack.js';
import {
  evictStale,
  removeCheckoutsOfDeadCommits,
  SHARED_CHECKOUT_GRACE_MS,
  SHARED_CHECKOUTS_KEPT,
  sharedCheckout,
} from './shared-checkout.js';

async function withDirs(fn: (dir: string, repo: string) => Promise<void>): Promise<void> {
  const top = await mkdtemp(join(tmpdir(), 'shared-checkout-'));
  try {
    await mkdir(join(top, 'repo'));
    await fn(join(top, 'checkouts'), join(top, 'repo'));
  } finally {
    await rm(top, { recursive: true, force: true });
  }
}

/** A populate callback that counts its calls and writes `content` into a new tree. */
function counting(content: string, delayMs = 0) {
  let calls = 0;
  return {
    calls: () => calls,
    populate: async (tree: string) => {
      calls++;
      await mkdir(tree);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await writeFile(join(tree, 'file'), content);
    },
  };
}

test('a checkout is made once per revision and then reused', () =>
  withDirs(async (dir, repo) => {
    const cleanup = new CleanupStack();
    const maker = counting('one');
    const first = await sharedCheckout({ dir, revision: 'r1', repo, cleanup, populate: maker.populate });
    const second = await sharedCheckout({ dir, revision: 'r1', repo, cleanup, populate: maker.populate });
    assert.ok(first && second);
    assert.equal(first.tree, second.tree);
    assert.equal(first.tree, join(dir, 'r1', 'tree'));
    assert.equal(maker.calls(), 1);
    assert.equal(await readFile(join(first.tree, 'file'), 'utf8'), 'one');
    const other = await sharedCheckout({ dir, revision: 'r2', repo, cleanup, populate: maker.populate });
    assert.equal(maker.calls(), 2);
    assert.notEqual(other?.tree, first.tree);
    assert.equal(cleanup.size, 0);
  }));

test('two deployments making the same checkout at once both get it; no partial one is left', () =>
  withDirs(async (dir, repo) => {
    const cleanup = new CleanupStack();
    const a = counting('a', 50);
    const b = counting('b', 50);
    const [one, two] = await Promise.all([
      sharedCheckout({ dir, revision: 'r', repo, cleanup, populate: a.populate }),
      sharedCheckout({ dir, revision: 'r', repo, cleanup, populate: b.populate }),
    ]);
    assert.equal(a.calls() + b.calls(), 2, 'both raced to make it');
    assert.equal(one?.tree, two?.tree);
    assert.match(await readFile(join(dir, 'r', 'tree', 'file'), 'utf8'), /^[ab]$/);
    assert.deepEqual(await readdir(dir), ['r']);
  }));

test('a failed checkout leaves nothing behind and is retried by the next deployment', () =>
  withDirs(async (dir, repo) => {
    const cleanup = new CleanupStack();
    const failing = async (tree: string) => {
      await mkdir(tree);
      await writeFile(join(tree, 'half'), '');
      throw new Error('checkout broke');
    };
    await assert.rejects(sharedCheckout({ dir, revision: 'r', repo, cleanup, populate: failing }), /broke/);
    assert.deepEqual(await readdir(dir), []);
    assert.equal(cleanup.size, 0);
    const maker = counting('ok');
    const made = await sharedCheckout({ dir, revision: 'r', repo, cleanup, populate: maker.populate });
    assert.equal(await readFile(join(made!.tree, 'file'), 'utf8'), 'ok');
  }));

test('using a checkout marks it used, at the start and at release', () =>
  withDirs(async (dir, repo) => {
    const cleanup = new CleanupStack();
    const maker = counting('x');
    await sharedCheckout({ dir, revision: 'r', repo, cleanup, populate: maker.populate });
    const old = new Date(Date.now() - 10 * SHARED_CHECKOUT_GRACE_MS);
    await utimes(join(dir, 'r'), old, old);
    const used = await sharedCheckout({ dir, revision: 'r', repo, cleanup, populate: maker.populate });
    assert.ok(statSync(join(dir, 'r')).mtimeMs > old.getTime() + SHARED_CHECKOUT_GRACE_MS);
    await utimes(join(dir, 'r'), old, old);
    used!.release();
    assert.ok(statSync(join(dir, 'r')).mtimeMs > old.getTime() + SHARED_CHECKOUT_GRACE_MS);
  }));

test('old checkouts beyond the most recently used ones are removed, recent ones never', () =>
  withDirs(async (dir) => {
    await mkdir(dir);
    const now = Date.now();
    const hour = 3600 * 1000;
    // Ten checkouts unused for longer than the grace period, c0 used most recently.
    for (let i = 0; i < 10; i++) {
      await mkdir(join(dir, `c${i}`, 'tree'), { recursive: true });
      const used = new Date(now - SHARED_CHECKOUT_GRACE_MS - (i + 1) * hour);
      await utimes(join(dir, `c${i}`), used, used);
    }
    // Leftovers of killed deployments: one old, one in progress.
    await mkdir(join(dir, '.partial-old'));
    await mkdir(join(dir, '.partial-new'));
    const old = new Date(now - 2 * SHARED_CHECKOUT_GRACE_MS);
    await utimes(join(dir, '.partial-old'), old, old);

    // c9 is the one being used: it is kept and counts as one of the kept;
    // the others kept are the most recently used.
    const removed = await evictStale(dir, 'c9', new Date(now));
    const left = (await readdir(dir)).sort();
    assert.deepEqual(left, ['.partial-new', 'c0', 'c1', 'c2', 'c9']);
    assert.equal(left.filter((n) => !n.startsWith('.')).length, SHARED_CHECKOUTS_KEPT);
    assert.deepEqual(removed.sort(), ['.partial-old', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8']);

    // Within the grace period nothing is removed, however many there are.
    for (let i = 10; i < 20; i++) await mkdir(join(dir, `c${i}`));
    assert.deepEqual((await evictStale(dir, 'c0', new Date(now))).sort(), ['c1', 'c2', 'c9']);
    assert.equal((await readdir(dir)).filter((n) => /^c1\d$/.test(n)).length, 10);
  }));

test(
  'no checkout is kept on another filesystem than the repository (it would be a copy)',
  {
    skip: !existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(tmpdir()).dev,
  },
  () =>
    withDirs(async (_dir, repo) => {
      const dir = await mkdtemp('/dev/shm/shared-checkout-');
      try {
        const maker = counting('x');
        const cleanup = new CleanupStack();
        assert.equal(
          await sharedCheckout({ dir, revision: 'r', repo, cleanup, populate: maker.populate }),
          undefined,
        );
        assert.equal(maker.calls(), 0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }),
);

test("what a deployment keeps in a checkout's directory (rawdisk's pristine image) goes with it", () =>
  withDirs(async (dir, repo) => {
    const cleanup = new CleanupStack();
    const shared = await sharedCheckout({
      dir,
      revision: 'a1',
      repo,
      cleanup,
      populate: counting('x').populate,
    });
    assert.equal(shared?.dir, join(dir, 'a1'));
    assert.equal(shared?.tree, join(shared!.dir, 'tree'));
    const now = Date.now();
    const old = new Date(now - 2 * SHARED_CHECKOUT_GRACE_MS);
    for (const name of ['a1', 'b2', 'c3', 'd4', 'e5']) {
      await mkdir(join(dir, name, 'tree'), { recursive: true });
      await mkdir(join(dir, name, 'rawdisk-pristine-v1'));
      await writeFile(join(dir, name, 'rawdisk-pristine-v1', 'image'), 'image');
      await utimes(join(dir, name), old, old);
    }
    // Evicted: the least recently used of five unused ones, image and all.
    await utimes(join(dir, 'e5'), new Date(old.getTime() - 1000), new Date(old.getTime() - 1000));
    assert.deepEqual(await evictStale(dir, 'a1', new Date(now)), ['e5']);
    assert.equal(existsSync(join(dir, 'e5')), false);
    assert.equal(existsSync(join(dir, '.removing-e5')), false);
    // morph gc: checkouts of commits that are gone, image and all.
    assert.equal(await removeCheckoutsOfDeadCommits(dir, new Set(['a1', 'b2'])), 2);
    assert.deepEqual((await readdir(dir)).sort(), ['a1', 'b2']);
    assert.ok(existsSync(join(dir, 'a1', 'rawdisk-pristine-v1', 'image')));
  }));
