import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MorphError } from '../errors.js';
import { loadAllMorphologies } from './load-all-morphologies.js';

describe('loadAllMorphologies', () => {
  it('loads every .morph file, skipping the top .git and symlinks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'morph-all-'));
    try {
      await mkdir(join(dir, '.git'));
      await mkdir(join(dir, 'strata', 'nested'), { recursive: true });
      await writeFile(join(dir, '.git', 'bad.morph'), 'not: [valid\n');
      await writeFile(join(dir, 'c.morph'), 'name: c\nkind: chunk\n');
      await writeFile(join(dir, 'README'), 'not a morphology\n');
      await writeFile(
        join(dir, 'strata', 'nested', 's.morph'),
        'name: s\nkind: stratum\nchunks: [{name: c, ref: m, build-depends: [], build-mode: bootstrap}]\n',
      );
      await symlink('../c.morph', join(dir, 'strata', 'link.morph'));
      const loaded = await loadAllMorphologies(dir);
      assert.deepEqual([...loaded.keys()], ['c.morph', 'strata/nested/s.morph']);
      assert.equal(loaded.get('strata/nested/s.morph')?.kind, 'stratum');

      await writeFile(join(dir, 'strata', 'broken.morph'), 'name: b\nkind: nonsense\n');
      await assert.rejects(
        loadAllMorphologies(dir),
        (err: unknown) =>
          err instanceof MorphError &&
          err.reason === 'unknown-kind' &&
          err.location?.file === 'strata/broken.morph',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing directory', async () => {
    await assert.rejects(
      loadAllMorphologies('/nonexistent/morph/tree'),
      (err: unknown) => err instanceof MorphError && err.reason === 'read-failed',
    );
  });
});
