import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { artifactRevision } from './system-resolver.js';

test('the revision of an artifact is its commit, plus that of its device list when it has one', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'artifact-revision-'));
  const setRef = async (ref: string, commit: string) => {
    const file = join(repo, 'refs', 'heads', ref);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${commit}\n`);
  };
  try {
    const ref = `artifacts/${'c'.repeat(64)}/system/test-system-rootfs`;
    assert.equal(await artifactRevision(repo, ref), undefined, 'no ref: no revision');
    await setRef(ref, 'a'.repeat(64));
    assert.equal(await artifactRevision(repo, ref), 'a'.repeat(64));
    await setRef(`artifacts/${'c'.repeat(64)}/system-devices/test-system-rootfs`, 'b'.repeat(64));
    assert.equal(await artifactRevision(repo, ref), `${'a'.repeat(64)}+${'b'.repeat(64)}`);
    await setRef(ref, 'not a checksum');
    assert.equal(await artifactRevision(repo, ref), undefined);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});
