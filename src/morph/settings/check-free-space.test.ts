import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkFreeSpace } from './check-free-space.js';

describe('checkFreeSpace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'morph-space-'));
  it('passes with the checks disabled or small enough', async () => {
    await checkFreeSpace({ tempdir: dir, cachedir: dir, 'tempdir-min-space': 0, 'cachedir-min-space': 0 });
    await checkFreeSpace({ tempdir: dir, cachedir: dir, 'tempdir-min-space': 1, 'cachedir-min-space': 1 });
  });
  it('fails naming the path when a filesystem is too full', async () => {
    await assert.rejects(
      checkFreeSpace({ tempdir: dir, cachedir: dir, 'tempdir-min-space': 2 ** 60, 'cachedir-min-space': 0 }),
      (err: Error & { code?: string }) =>
        err.code === 'config/insufficient-space' && err.message.includes(dir),
    );
  });
});
