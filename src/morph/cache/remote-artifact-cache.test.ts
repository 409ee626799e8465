import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCommand } from '../../shared/exec.js';
import { ArtifactCache } from './artifact-cache.js';
import { RemoteArtifactCache } from './remote-artifact-cache.js';

test('missing artifacts are pulled from an archive repository; failures are ignored', async () => {
  const top = await mkdtemp(join(tmpdir(), 'remote-cache-'));
  try {
    const producer = await ArtifactCache.open(join(top, 'a'));
    await mkdir(join(top, 'tree'));
    await writeFile(join(top, 'tree/f'), 'content');
    const ref = producer.ref('k', 'chunk', 'x-bins');
    await producer.commitTree(join(top, 'tree'), ref, { subject: 's' });
    const archive = join(top, 'archive');
    await runCommand(['ostree', `--repo=${archive}`, 'init', '--mode=archive']);
    await runCommand(['ostree', `--repo=${archive}`, 'pull-local', producer.repoPath, ref]);

    const consumer = await ArtifactCache.open(join(top, 'c'));
    const remote = new RemoteArtifactCache(consumer, `file://${archive}`);
    assert.deepEqual(await remote.pull([ref, 'artifacts/none/chunk/y']), [ref]);
    assert.equal(await consumer.readFile(ref, '/f'), 'content');

    const broken = new RemoteArtifactCache(consumer, 'http://127.0.0.1:9/');
    assert.deepEqual(await broken.pull(['artifacts/z/chunk/z']), []);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('unusable cache-server URLs are recognised', () => {
  assert.equal(RemoteArtifactCache.isUsable('http://[]:8080/'), false);
  assert.equal(RemoteArtifactCache.isUsable(undefined), false);
  assert.equal(RemoteArtifactCache.isUsable('http://cache.example:8080/'), true);
});
