import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeCacheKey } from '../../cache/cache-key.js';
import { loadMorphology } from '../../definitions/load-morphology.js';
import { MorphError } from '../../errors.js';
import type { ChunkMorphology, StratumMorphology, SystemMorphology } from '../../model.js';
import { stagingDependencies } from '../execute/chunk-builder.js';
import { stratumConstituents } from '../execute/stratum-builder.js';
import { createBuildGraph } from './build-graph.js';
import { keyBuildGraph } from './cache-ids.js';
import type { ResolvedChunk, ResolvedDefinitions } from './resolve-definitions.js';

const repo = { repoName: 'test:morphs', originalRef: 'master', commit: 'c0', tree: 't0' };

function chunk(stratumFile: string, spec: string, yaml: string, tree: string): ResolvedChunk {
  const morphology = loadMorphology(yaml, `${spec}.morph`) as ChunkMorphology;
  const stratum = fixtureStrata().get(stratumFile) as StratumMorphology;
  const chunkSpec = stratum.chunks.find((c) => c.name === spec);
  assert.ok(chunkSpec);
  return {
    repoName: chunkSpec.repo,
    originalRef: chunkSpec.ref,
    commit: `commit-${tree}`,
    tree,
    spec: chunkSpec,
    stratumFile,
    file: `${spec}.morph`,
    morphology,
  };
}

function fixtureStrata(): Map<string, StratumMorphology> {
  const be = loadMorphology(
    `name: build-essential
kind: stratum
chunks:
- {name: stage1-chunk, repo: test:bootstrap-chunk, ref: bootstrap, build-mode: bootstrap, build-depends: []}
- {name: stage2-chunk, repo: test:bootstrap-chunk, ref: master, morph: stage2-chunk.morph, build-depends: [stage1-chunk]}
`,
    'strata/build-essential.morph',
  ) as StratumMorphology;
  const core = loadMorphology(
    `name: core
kind: stratum
build-depends: [{morph: strata/build-essential.morph}]
chunks:
- {name: test-chunk, repo: test:test-chunk, ref: master, morph: test-chunk.morph, build-depends: []}
`,
    'strata/core.morph',
  ) as StratumMorphology;
  return new Map([
    ['strata/build-essential.morph', be],
    ['strata/core.morph', core],
  ]);
}

function fixture(
  strataSpecs = '- {name: build-essential, morph: strata/build-essential.morph}\n- {name: core, morph: strata/core.morph}',
): ResolvedDefinitions {
  const system = loadMorphology(
    `name: test-system\nkind: system\narch: x86_64\nstrata:\n${strataSpecs}\n`,
    'systems/test-system.morph',
  ) as SystemMorphology;
  const manual = 'kind: chunk\nbuild-system: manual\ninstall-commands: [copy files]\n';
  return {
    definitions: repo,
    systemFile: 'systems/test-system.morph',
    system,
    strata: fixtureStrata(),
    chunks: new Map([
      [
        'strata/build-essential.morph',
        [
          chunk(
            'strata/build-essential.morph',
            'stage1-chunk',
            'name: stage1-chunk\nkind: chunk\nbuild-system: autotools\n',
            't1',
          ),
          chunk('strata/build-essential.morph', 'stage2-chunk', `name: stage2-chunk\n${manual}`, 't2'),
        ],
      ],
      ['strata/core.morph', [chunk('strata/core.morph', 'test-chunk', `name: test-chunk\n${manual}`, 't3')]],
    ]),
  };
}

test('the fixture system builds chunks, strata artifacts and the system in dependency order', () => {
  const graph = createBuildGraph(fixture());
  const order = graph.order.map((s) => `${s.kind}:${s.name}:${s.artifacts.map((a) => a.name).join(',')}`);
  assert.equal(order.length, 8);
  assert.match(order[0] as string, /^chunk:stage1-chunk:stage1-chunk-bins,/);
  assert.match(order[1] as string, /^chunk:stage2-chunk:/);
  assert.equal(order.at(-1), 'system:test-system:test-system-rootfs');
  assert.deepEqual(
    graph.root.source.dependencies.map((a) => a.name),
    ['build-essential-devel', 'build-essential-runtime', 'core-devel', 'core-runtime'],
  );
});

/** The fixture with stage2-chunk's spec and chunk both called test-chunk, like the core chunk. */
function twoTestChunks(): ResolvedDefinitions {
  const resolved = fixture();
  const stage2 = resolved.chunks.get('strata/build-essential.morph')?.[1];
  const listed = resolved.strata.get('strata/build-essential.morph')?.chunks[1];
  assert.ok(stage2 && listed);
  stage2.spec.name = 'test-chunk';
  listed.name = 'test-chunk';
  stage2.morphology.name = 'test-chunk';
  return resolved;
}

test('two chunk sources called test-chunk stay distinct and get different keys', () => {
  const graph = keyBuildGraph(createBuildGraph(twoTestChunks()), { USER: 'tomjon' }, computeCacheKey);
  const testChunks = graph.order.filter((s) => s.name === 'test-chunk');
  assert.equal(testChunks.length, 2);
  assert.notEqual(testChunks[0]?.cacheKey, testChunks[1]?.cacheKey);
  const again = keyBuildGraph(createBuildGraph(twoTestChunks()), { USER: 'tomjon' }, computeCacheKey);
  assert.equal(again.root.source.cacheKey, graph.root.source.cacheKey, 'keys are deterministic');
  for (const source of graph.order) assert.equal(source.cacheId['build-umask'], '0022');
});

test('bootstrap chunks are staged only for their own stratum and never enter strata artifacts', () => {
  const graph = keyBuildGraph(createBuildGraph(fixture()), {}, computeCacheKey);
  const [stage1, stage2, coreChunk] = graph.order.filter((s) => s.kind === 'chunk');
  assert.ok(stage1 && stage2 && coreChunk);
  assert.ok(stagingDependencies(stage2).some((a) => a.source === stage1));
  assert.ok(!stagingDependencies(coreChunk).some((a) => a.source === stage1));
  assert.ok(stagingDependencies(coreChunk).some((a) => a.source === stage2));
  for (const stratum of graph.order.filter((s) => s.kind === 'stratum')) {
    assert.ok(!stratumConstituents(stratum).some((a) => a.source === stage1));
  }
});

test('selecting stratum artifacts changes the system key and limits what is built', () => {
  const all = keyBuildGraph(createBuildGraph(fixture()), {}, computeCacheKey);
  const some = keyBuildGraph(
    createBuildGraph(
      fixture(
        '- {name: build-essential, morph: strata/build-essential.morph}\n- {name: core, morph: strata/core.morph, artifacts: [core-runtime]}',
      ),
    ),
    {},
    computeCacheKey,
  );
  assert.notEqual(all.root.source.cacheKey, some.root.source.cacheKey);
  assert.ok(!some.order.some((s) => s.kind === 'stratum' && s.artifacts[0]?.name === 'core-devel'));
});

test('a system of bootstrap chunks only is refused', () => {
  const resolved = fixture('- {name: build-essential, morph: strata/build-essential.morph}');
  resolved.chunks.delete('strata/core.morph');
  resolved.strata.delete('strata/core.morph');
  for (const c of resolved.chunks.get('strata/build-essential.morph') ?? [])
    c.spec['build-mode'] = 'bootstrap';
  assert.throws(() => createBuildGraph(resolved), { reason: 'no-non-bootstrap-chunks' });
});

test('a chunk spec repeating a chunk is still checked: build-depends on a ghost is refused', () => {
  const resolved = fixture();
  const core = resolved.chunks.get('strata/core.morph') ?? [];
  const first = core[0];
  assert.ok(first);
  core.push({
    ...first,
    spec: { ...first.spec, name: 'again', 'build-depends': ['ghost'] },
    morphology: { ...first.morphology, name: 'again' },
  });
  assert.throws(() => createBuildGraph(resolved), { reason: 'bad-chunk-dependency' });
});

test('an invalid regular expression in products include is refused with the chunk file', () => {
  const resolved = fixture();
  const core = resolved.chunks.get('strata/core.morph') ?? [];
  const first = core[0];
  assert.ok(first);
  core[0] = {
    ...first,
    morphology: { ...first.morphology, products: [{ artifact: 'test-chunk-bins', include: ['usr/(bin'] }] },
  };
  assert.throws(() => createBuildGraph(resolved), {
    reason: 'invalid-split-rule',
    location: { file: 'test-chunk.morph' },
  });
});

test('a chunk spec whose name is not the name of its chunk is refused, naming the stratum and the field', () => {
  const resolved = fixture();
  const stage2 = resolved.chunks.get('strata/build-essential.morph')?.[1];
  assert.ok(stage2);
  stage2.morphology.name = 'test-chunk';
  assert.throws(
    () => createBuildGraph(resolved),
    (err: unknown) => {
      assert.ok(err instanceof MorphError);
      assert.equal(err.reason, 'chunk-name-mismatch');
      assert.equal(err.location?.file, 'strata/build-essential.morph');
      assert.ok(err.location?.line && err.location.column, 'the line and column of the name');
      assert.match(
        err.message,
        /^chunk stage2-chunk: name differs from the name test-chunk in stage2-chunk\.morph/,
      );
      return true;
    },
  );
});
