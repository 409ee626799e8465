import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { TEST_GIT_ENV, testBuildApp } from '../../../../test/support/test-build-app.js';
import { runCommand } from '../../../shared/exec.js';
import type { BuildApp } from './build-app.js';
import { resolveBuildGraph } from './resolve-build-graph.js';
import { resolveDefinitions } from './resolve-definitions.js';

const env = TEST_GIT_ENV;

async function repo(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await runCommand(['git', 'init', '-q', '-b', 'master', dir]);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await runCommand(['git', 'add', '.'], { cwd: dir });
  await runCommand(['git', 'commit', '-q', '-m', 'c'], { cwd: dir, env });
}

async function fixture(top: string): Promise<BuildApp> {
  await repo(join(top, 'chunky'), { configure: '#!/bin/true\n' });
  await repo(join(top, 'plain'), { README: 'nothing to build\n' });
  await repo(join(top, 'morphs'), {
    'systems/s.morph': 'name: s\nkind: system\narch: x86_64\nstrata:\n- {name: st, morph: strata/st.morph}\n',
    'strata/st.morph': [
      'name: st',
      'kind: stratum',
      'chunks:',
      '- {name: auto, repo: "tt:chunky", ref: master, build-mode: bootstrap, build-depends: []}',
      '- {name: own, repo: "tt:chunky", ref: master, morph: own.morph, build-depends: [auto]}',
      '',
    ].join('\n'),
    'own.morph': 'name: own\nkind: chunk\nbuild-system: manual\n',
    // One chunk file per spec of the many-chunk strata (two specs naming one source are an error).
    ...Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [
        `own${i}.morph`,
        `name: m${i}\nkind: chunk\nbuild-system: manual\n`,
      ]),
    ),
    'broken-stratum.morph':
      'name: b\nkind: stratum\nchunks:\n- {name: x, repo: "tt:plain", ref: master, build-mode: bootstrap, build-depends: []}\n',
    'systems/broken.morph':
      'name: broken\nkind: system\narch: x86_64\nstrata:\n- {morph: broken-stratum.morph}\n',
    'strata/many.morph': [
      'name: many',
      'kind: stratum',
      'build-depends: [{morph: strata/st.morph}]',
      'chunks:',
      ...Array.from(
        { length: 12 },
        (_, i) => `- {name: m${i}, repo: "tt:chunky", ref: master, morph: own${i}.morph, build-depends: []}`,
      ),
      '- {name: gone1, repo: "tt:gone1", ref: master, build-depends: []}',
      '- {name: gone2, repo: "tt:chunky", ref: nosuch, build-depends: []}',
      '',
    ].join('\n'),
    'systems/many.morph': 'name: many\nkind: system\narch: x86_64\nstrata:\n- {morph: strata/many.morph}\n',
    'strata/many-ok.morph': [
      'name: many-ok',
      'kind: stratum',
      'build-depends: [{morph: strata/st.morph}]',
      'chunks:',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `- {name: m${i}, repo: "tt:${i % 2 ? 'chunky' : 'plain'}", ref: master, morph: own${i}.morph, build-depends: []}`,
      ),
      '',
    ].join('\n'),
    'systems/many-ok.morph':
      'name: many-ok\nkind: system\narch: x86_64\nstrata:\n- {morph: strata/many-ok.morph}\n',
    'clusters/c.morph': 'name: c\nkind: cluster\nsystems:\n- {morph: systems/s.morph, deploy: {}}\n',
  });
  return testBuildApp(top, { aliasPrefix: 'tt' });
}

test('strata and chunks resolve from git objects, with autodetection as the fallback', async () => {
  const top = await mkdtemp(join(tmpdir(), 'resolve-'));
  try {
    const app = await fixture(top);
    const resolved = await resolveDefinitions(app, {
      repo: 'tt:morphs',
      ref: 'master',
      file: 'systems/s.morph',
    });
    assert.equal(resolved.system.name, 's');
    assert.match(resolved.definitions.commit, /^[0-9a-f]{40}$/);
    assert.deepEqual([...resolved.strata.keys()], ['strata/st.morph']);
    const chunks = resolved.chunks.get('strata/st.morph') ?? [];
    assert.deepEqual(
      chunks.map((c) => [c.file, c.morphology.name, c.morphology['build-system']]),
      [
        ['auto.morph', 'auto', 'autotools'],
        ['own.morph', 'own', 'manual'],
      ],
    );
    assert.equal(chunks[0]?.originalRef, 'master');

    await assert.rejects(
      resolveDefinitions(app, { repo: 'tt:morphs', ref: 'master', file: 'clusters/c.morph' }),
      { reason: 'cannot-build-cluster' },
    );
    await assert.rejects(
      resolveDefinitions(app, { repo: 'tt:morphs', ref: 'master', file: 'systems/none.morph' }),
      { reason: 'no-morphology' },
    );
    await assert.rejects(
      resolveDefinitions(app, { repo: 'tt:morphs', ref: 'master', file: 'systems/broken.morph' }),
      (err: Error) => /Couldn't find morphology: x\.morph/.test(err.message),
    );

    // Chunks resolve several at a time; the results keep the strata's order.
    const many = await resolveDefinitions(app, {
      repo: 'tt:morphs',
      ref: 'master',
      file: 'systems/many-ok.morph',
    });
    assert.deepEqual([...many.chunks.keys()], ['strata/many-ok.morph', 'strata/st.morph']);
    assert.deepEqual(
      many.chunks.get('strata/many-ok.morph')?.map((c) => [c.spec.name, c.repoName]),
      Array.from({ length: 12 }, (_, i) => [`m${i}`, `tt:${i % 2 ? 'chunky' : 'plain'}`]),
    );
    // Of several failures, the first in stratum order is reported.
    await assert.rejects(
      resolveDefinitions(app, { repo: 'tt:morphs', ref: 'master', file: 'systems/many.morph' }),
      { code: 'sources/no-remote-repo', message: 'cannot find remote repository tt:gone1' },
    );
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('strata build-depended on resolve first and are announced as keyed partial systems', async () => {
  const top = await mkdtemp(join(tmpdir(), 'resolve-'));
  try {
    const app = await fixture(top);
    const asked: string[] = [];
    const resolveCurrentRef = app.gitCache.resolveCurrentRef.bind(app.gitCache);
    app.gitCache.resolveCurrentRef = (repo: string, ref: string) => {
      asked.push(repo);
      return resolveCurrentRef(repo, ref);
    };
    const partials: Awaited<ReturnType<typeof resolveBuildGraph>>[] = [];
    const request = { repo: 'tt:morphs', ref: 'master', file: 'systems/many-ok.morph' };
    const full = await resolveBuildGraph(app, request, { onPartial: (build) => partials.push(build) });
    // strata/st.morph (chunks of tt:chunky) is build-depended on: its chunks are asked for
    // first, before many-ok's first chunk (tt:plain).
    assert.deepEqual(asked.slice(0, 3), ['tt:morphs', 'tt:chunky', 'tt:plain']);
    assert.deepEqual(
      partials.map((p) => [...p.graph.definitions.strata.keys()]),
      [['strata/st.morph'], ['strata/st.morph', 'strata/many-ok.morph']],
    );
    // Every source of a partial system but its root has the key it has in the whole system.
    const fullKeys = new Map(full.graph.order.map((s) => [s.id, s.cacheKey]));
    for (const partial of partials) {
      assert.equal(partial.graph.definitions.expectedSources, full.graph.order.length);
      for (const source of partial.graph.order) {
        if (source === partial.graph.root.source) continue;
        assert.equal(source.cacheKey, fullKeys.get(source.id), source.id);
      }
    }
    assert.equal(partials[1]?.graph.order.length, full.graph.order.length);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
