import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArtifactCache } from '../../cache/artifact-cache.js';
import { chunkSplitRules, matchRule } from '../graph/split-rules.js';
import { createDeviceNodes } from '../stage/device-nodes.js';
import { artifactDevices } from '../stage/staging-area.js';
import { assembleChunkArtifacts, closeUnderParents, integrationScripts } from './chunk-assembly.js';

test('parents are added and sorted; . is left out', () => {
  assert.deepEqual(closeUnderParents(['usr/bin/x', 'baserock/a.meta', '.']), [
    'baserock',
    'baserock/a.meta',
    'usr',
    'usr/bin',
    'usr/bin/x',
  ]);
});

test('integration scripts are numbered per prefix and start with a strict shell header', () => {
  const scripts = integrationScripts('c-bins', {
    'c-bins': { '00-x': ['echo a', Buffer.from([0x65, 0xff])] },
  });
  assert.deepEqual(
    scripts.map((s) => s.path),
    ['baserock/system-integration/00-x-c-bins-0000', 'baserock/system-integration/00-x-c-bins-0001'],
  );
  assert.equal(scripts[0]?.content.toString(), '#!/bin/sh\nset -xeu\necho a');
  assert.deepEqual([...(scripts[1]?.content.subarray(-2) ?? [])], [0x65, 0xff]);
});

test('DESTDIR is split into committed artifacts and left without files', async () => {
  const top = await mkdtemp(join(tmpdir(), 'assembly-'));
  try {
    const cache = await ArtifactCache.open(join(top, 'cache'));
    const dest = join(top, 'dest');
    await mkdir(join(dest, 'usr/bin'), { recursive: true });
    await mkdir(join(dest, 'usr/include'), { recursive: true });
    await mkdir(join(dest, 'etc'), { recursive: true });
    await writeFile(join(dest, 'usr/bin/tool'), 'tool');
    await chmod(join(dest, 'usr/bin/tool'), 0o755);
    await writeFile(join(dest, 'usr/include/c.h'), 'h');
    await writeFile(join(dest, 'etc/c.conf'), 'conf');
    await symlink('tool', join(dest, 'usr/bin/alias'));
    const root = process.getuid?.() === 0;
    if (root) {
      await mkdir(join(dest, 'dev'));
      await createDeviceNodes(dest, [
        { filename: 'dev/null', type: 'c', permissions: '0666', major: 1, minor: 3, uid: 0, gid: 0 },
      ]);
    }
    const rules = chunkSplitRules('c', []);
    const record = {
      'source-name': 'c',
      kind: 'chunk' as const,
      description: '',
      repo: 'file:///c',
      'repo-alias': 'test:c',
      original_ref: 'master',
      sha1: 'a'.repeat(40),
      morphology: 'c.morph',
      'cache-key': 'k',
      'cache-id': {},
    };
    const artifacts = ['c-bins', 'c-devel', 'c-misc'].map((name) => ({
      name,
      ref: cache.ref('k', 'chunk', name),
      record,
    }));
    await assembleChunkArtifacts({
      destdir: dest,
      workDir: top,
      artifacts,
      split: (path) => matchRule(rules, path),
      systemIntegration: { 'c-bins': { '10-hello': ['echo hello'] } },
      cache,
    });

    const bins = cache.ref('k', 'chunk', 'c-bins');
    assert.equal(await cache.readFile(bins, '/usr/bin/tool'), 'tool');
    assert.match(
      await cache.readFile(bins, '/baserock/system-integration/10-hello-c-bins-0000'),
      /echo hello$/,
    );
    const meta = JSON.parse(await cache.readFile(bins, '/baserock/c-bins.meta'));
    assert.equal(meta['artifact-name'], 'c-bins');
    assert.ok(meta.contents.includes('usr/bin/alias'));
    assert.ok(meta.contents.includes('usr'), 'parent directories are listed');
    assert.equal(await cache.readFile(cache.ref('k', 'chunk', 'c-devel'), '/usr/include/c.h'), 'h');
    const misc = cache.ref('k', 'chunk', 'c-misc');
    assert.equal(await cache.readFile(misc, '/etc/c.conf'), 'conf');
    if (root)
      assert.deepEqual(
        (await artifactDevices(cache, misc)).map((d) => d.filename),
        ['dev/null'],
      );
    const walk = async (dir: string): Promise<string[]> => {
      const out: string[] = [];
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) out.push(...(await walk(join(dir, entry.name))));
        else out.push(entry.name);
      }
      return out;
    };
    assert.deepEqual(await walk(dest), [], 'only directories remain in DESTDIR');
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
