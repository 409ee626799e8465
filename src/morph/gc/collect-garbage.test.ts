import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BuildApp } from '../build/graph/build-app.js';
import { memoDirOf } from '../build/remote/tree-digest-memo.js';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { sharedCheckoutsDir } from '../deploy/shared-checkout.js';
import { collectGarbage } from './collect-garbage.js';

test('gc empties scratch areas and drops artifacts unused for too long', async () => {
  const top = await mkdtemp(join(tmpdir(), 'gc-'));
  try {
    const settings = { tempdir: join(top, 'tmp'), cachedir: join(top, 'cache') };
    const app = { settings } as unknown as BuildApp;
    await mkdir(join(settings.tempdir, 'failed', 'staging-x'), { recursive: true });
    await mkdir(join(settings.tempdir, 'staging'), { recursive: true });
    const cache = await ArtifactCache.open(settings.cachedir);
    await mkdir(join(top, 'tree'));
    await writeFile(join(top, 'tree', 'f'), 'x');
    const key = 'a'.repeat(64);
    const ref = cache.ref(key, 'chunk', 'c-bins');
    const commit = await cache.commitTree(join(top, 'tree'), ref, { subject: 'c' });
    await writeFile(cache.buildLogPath(key), 'log');
    // Shared deploy checkouts: one of the artifact (kept while it is), one of a gone commit, one half removed.
    const checkouts = sharedCheckoutsDir(settings.cachedir);
    for (const name of [commit, 'b'.repeat(64), `.removing-${'c'.repeat(64)}`]) {
      await mkdir(join(checkouts, name, 'tree'), { recursive: true });
    }
    // Remote execution's digest memo: an entry of the artifact's commit, one of a gone commit.
    const memo = memoDirOf(cache.dir);
    await mkdir(memo, { recursive: true });
    for (const name of [commit, 'd'.repeat(64)]) await writeFile(join(memo, name), 'entry');
    cache.close();

    const fresh = await collectGarbage(app);
    assert.deepEqual(fresh, {
      tempEntries: 1,
      artifacts: 0,
      sideFiles: 0,
      deployCheckouts: 2,
      digestMemos: 1,
    });
    assert.ok(await cache.hasRef(ref));
    assert.deepEqual(await readdir(checkouts), [commit]);
    assert.deepEqual(await readdir(memo), [commit]);

    const later = new Date(Date.now() + 8 * 24 * 3600 * 1000);
    const old = await collectGarbage(app, { now: later });
    assert.deepEqual(old, { tempEntries: 0, artifacts: 1, sideFiles: 1, deployCheckouts: 1, digestMemos: 1 });
    assert.equal(await cache.hasRef(ref), false);
    assert.equal(existsSync(cache.buildLogPath(key)), false);
    assert.deepEqual(await readdir(checkouts), []);
    assert.deepEqual(await readdir(memo), []);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
