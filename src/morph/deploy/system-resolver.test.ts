import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { artifactRevision } from './system-resolver.js';

test('the revision of an artifact is its commit, plus that of its device list when it has one', async () => {
  const top = await mkdtemp(join(tmpdir(), 'artifact-revision-'));
  const cache = await ArtifactCache.open(top);
  const repo = cache.repoPath;
  const setRef = async (ref: string, commit: string) => {
    const file = join(repo, 'refs', 'heads', ref);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${commit}\n`);
  };
  try {
    const ref = `artifacts/${'c'.repeat(64)}/system/test-system-rootfs`;
    assert.equal(await artifactRevision(cache, ref), undefined, 'no ref: no revision');
    await setRef(ref, 'a'.repeat(64));
    assert.equal(await artifactRevision(cache, ref), 'a'.repeat(64));
    await setRef(`artifacts/${'c'.repeat(64)}/system-devices/test-system-rootfs`, 'b'.repeat(64));
    assert.equal(await artifactRevision(cache, ref), `${'a'.repeat(64)}+${'b'.repeat(64)}`);
    await setRef(ref, 'not a checksum');
    assert.equal(await artifactRevision(cache, ref), undefined);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
