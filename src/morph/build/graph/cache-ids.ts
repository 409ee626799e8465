import { invariant } from '../../../shared/invariant.js';
import { CHUNK_COMMAND_FIELDS } from '../../model.js';
import type { Artifact, BuildGraph, Source } from './build-graph.js';
import { UMASK_CACHE_ID } from './hermetic.js';
import type { KeyedArtifact, KeyedBuildGraph, KeyedSource } from './keyed-source.js';

/** Hashes a cache_id (cache/cache-key.ts `computeCacheKey`). */
export type CacheKeyFunction = (cacheId: Record<string, unknown>) => string;

const EXCLUDED_FIELDS = new Set(['description', 'strata', 'build-depends', 'chunks', 'products']);

/**
 * The cache_id of a source (docs/spec/morph.md 5.6) plus `build-umask` (the umask of
 * its commands, hermetic.ts), given its dependencies, keyed.
 */
export function cacheIdOf(
  source: Source,
  dependencies: readonly KeyedArtifact[],
  env: Record<string, string>,
): Record<string, unknown> {
  const kids = dependencies.map((artifact) => ({
    artifact: artifact.name,
    'cache-key': artifact.source.cacheKey,
  }));
  const id: Record<string, unknown> = { env, kids, 'metadata-version': 1, ...UMASK_CACHE_ID };
  const morphology = source.morphology;
  if (morphology.kind === 'chunk') {
    id['build-mode'] = source.buildMode;
    id.prefix = source.prefix;
    id.tree = source.tree;
    id['split-rules'] = source.splitRules.map((rule) => [rule.artifact, rule.patterns]);
    id.devices = morphology.devices;
    id['max-jobs'] = morphology['max-jobs'];
    id['system-integration'] = morphology['system-integration'];
    for (const field of CHUNK_COMMAND_FIELDS) id[field] = morphology[field];
    return id;
  }
  for (const [key, value] of Object.entries(morphology)) {
    if (!EXCLUDED_FIELDS.has(key)) id[key] = value;
  }
  if (source.kind === 'stratum') id['stratum-format-version'] = 1;
  else id['system-compatibility-version'] = '2~ (upgradable, root rw)';
  return id;
}

/** The graph with every source keyed, dependencies first; `graph` is left as it is. */
export function keyBuildGraph(
  graph: BuildGraph,
  env: Record<string, string>,
  computeKey: CacheKeyFunction,
): KeyedBuildGraph {
  const keyed = new Map<Source, KeyedSource>();
  const keyedArtifact = (artifact: Artifact): KeyedArtifact => {
    const found = keyed.get(artifact.source)?.artifacts.find((a) => a.name === artifact.name);
    invariant(found, `${artifact.name} is needed before its source is keyed`);
    return found;
  };
  const order = graph.order.map((source) => {
    const dependencies = source.dependencies.map(keyedArtifact);
    const cacheId = cacheIdOf(source, dependencies, env);
    const artifacts: KeyedArtifact[] = [];
    const made = keyedSource(source, { dependencies, artifacts, cacheId, cacheKey: computeKey(cacheId) });
    for (const artifact of source.artifacts) artifacts.push({ name: artifact.name, source: made });
    keyed.set(source, made);
    return made;
  });
  return { ...graph, root: keyedArtifact(graph.root), order };
}

/** `source` with its keyed parts, typed by its kind. */
function keyedSource(
  source: Source,
  parts: Pick<KeyedSource, 'dependencies' | 'artifacts' | 'cacheId' | 'cacheKey'>,
): KeyedSource {
  const morphology = source.morphology;
  const base = { ...source, ...parts };
  if (source.kind === 'chunk' && morphology.kind === 'chunk') return { ...base, kind: 'chunk', morphology };
  if (source.kind === 'stratum' && morphology.kind === 'stratum')
    return { ...base, kind: 'stratum', morphology };
  invariant(
    source.kind === 'system' && morphology.kind === 'system',
    `source ${source.name} of kind ${source.kind} has a ${morphology.kind} morphology`,
  );
  return { ...base, kind: 'system', morphology };
}
