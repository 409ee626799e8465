import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CleanupStack } from '../../shared/cleanup-stack.js';
import { orphanedPartialsOf, partialPrefix, writeOutputAtomically } from './atomic-output.js';

test("an output appears only when complete; a failure leaves nothing; a dead owner's partial is removed", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'atomic-output-'));
  try {
    const target = join(dir, 'out.img');
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    const orphan = join(dir, `${partialPrefix(target)}p${dead}-abcd`);
    await writeFile(orphan, 'left by a killed deploy');
    const live = join(dir, `${partialPrefix(target)}p1-abcd`);
    await writeFile(live, 'owned by a live process');
    const otherTarget = join(dir, `${partialPrefix(join(dir, 'other'))}p${dead}-ab`);
    await writeFile(otherTarget, 'left by a killed deploy to another location');
    assert.deepEqual(orphanedPartialsOf(target), [orphan], "only the dead owners' partials of this location");
    assert.deepEqual(orphanedPartialsOf(join(dir, 'absent', 'out.img')), []);
    assert.throws(() => orphanedPartialsOf(join(orphan, 'out.img')), { code: 'ENOTDIR' });
    await rm(otherTarget);
    const cleanup = new CleanupStack();
    await assert.rejects(
      writeOutputAtomically(cleanup, target, async (partial) => {
        await writeFile(partial, 'half');
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.deepEqual((await readdir(dir)).sort(), [live.slice(dir.length + 1)]);
    let seen = '';
    await writeOutputAtomically(cleanup, target, async (partial) => {
      seen = (await readdir(dir)).join(' ');
      await writeFile(partial, 'complete');
    });
    assert.ok(!seen.includes('out.img '), 'nothing at the location while it is written');
    assert.equal(await readFile(target, 'utf8'), 'complete');
    await assert.rejects(
      writeOutputAtomically(cleanup, target, (partial) => writeFile(partial, 'second')),
      { code: 'extension/location-exists' },
    );
    assert.equal(await readFile(target, 'utf8'), 'complete');
    await writeOutputAtomically(cleanup, target, (partial) => writeFile(partial, 'replaced'), {
      replace: true,
    });
    assert.equal(await readFile(target, 'utf8'), 'replaced');
    assert.deepEqual((await readdir(dir)).sort(), [live.slice(dir.length + 1), 'out.img'].sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
