import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findPristineImage, PARTIAL_GRACE_MS, PRISTINE_DIR, removeStalePartials } from './pristine-image.js';

test('a pristine image is found only when complete; old partial ones are removed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pristine-image-'));
  try {
    assert.equal(await findPristineImage(dir), undefined);
    await mkdir(join(dir, PRISTINE_DIR));
    await writeFile(join(dir, PRISTINE_DIR, 'image'), Buffer.alloc(4096));
    assert.equal(await findPristineImage(dir), undefined, 'no info.json: not complete');
    await writeFile(join(dir, PRISTINE_DIR, 'info.json'), JSON.stringify({ size: 8192, treeBytes: 100 }));
    assert.equal(await findPristineImage(dir), undefined, 'an image of another size than recorded');
    await writeFile(join(dir, PRISTINE_DIR, 'info.json'), JSON.stringify({ size: 4096, treeBytes: 100 }));
    assert.deepEqual(await findPristineImage(dir), {
      path: join(dir, PRISTINE_DIR, 'image'),
      size: 4096,
      treeBytes: 100,
    });

    const now = Date.now();
    for (const name of ['.partial-rawdisk-old', '.partial-rawdisk-new', '.partial-other']) {
      await mkdir(join(dir, name));
    }
    const old = new Date(now - PARTIAL_GRACE_MS - 1000);
    await utimes(join(dir, '.partial-rawdisk-old'), old, old);
    await utimes(join(dir, '.partial-other'), old, old);
    assert.deepEqual(await removeStalePartials(dir, now), ['.partial-rawdisk-old']);
    assert.deepEqual((await readdir(dir)).sort(), ['.partial-other', '.partial-rawdisk-new', PRISTINE_DIR]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
