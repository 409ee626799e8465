import { CHUNK_COMMAND_FIELDS, type ChunkMorphology } from '../../model.js';
import type { BuildGraph, Source } from './build-graph.js';
import { UMASK_CACHE_ID } from './hermetic.js';

/** Hashes a cache_id (cache/cache-key.ts `computeCacheKey`). */
export type CacheKeyFunction = (cacheId: Record<string, unknown>) => string;

const EXCLUDED_FIELDS = new Set(['description', 'strata', 'build-depends', 'chunks', 'products']);

/**
 * The cache_id of a source (docs/spec/morph.md 5.6) plus `build-umask` (the umask of
 * its commands, hermetic.ts); its dependencies must already have cache keys.
 */
export function cacheIdOf(source: Source, env: Record<string, string>): Record<string, unknown> {
  const kids = source.dependencies.map((artifact) => {
    if (artifact.source.cacheKey === undefined) throw new Error(`BUG: ${artifact.name} has no cache key yet`);
    return { artifact: artifact.name, 'cache-key': artifact.source.cacheKey };
  });
  const id: Record<string, unknown> = { env, kids, 'metadata-version': 1, ...UMASK_CACHE_ID };
  if (source.kind === 'chunk') {
    const chunk = source.morphology as ChunkMorphology;
    id['build-mode'] = source.buildMode;
    id.prefix = source.prefix;
    id.tree = source.tree;
    id['split-rules'] = source.splitRules.map((rule) => [rule.artifact, rule.patterns]);
    id.devices = chunk.devices;
    id['max-jobs'] = chunk['max-jobs'];
    id['system-integration'] = chunk['system-integration'];
    for (const field of CHUNK_COMMAND_FIELDS) id[field] = chunk[field];
    return id;
  }
  for (const [key, value] of Object.entries(source.morphology)) {
    if (!EXCLUDED_FIELDS.has(key)) id[key] = value;
  }
  if (source.kind === 'stratum') id['stratum-format-version'] = 1;
  else id['system-compatibility-version'] = '2~ (upgradable, root rw)';
  return id;
}

/** Sets `cacheId` and `cacheKey` of every source, dependencies first. */
export function computeCacheKeys(
  graph: BuildGraph,
  env: Record<string, string>,
  computeKey: CacheKeyFunction,
): void {
  for (const source of graph.order) {
    source.cacheId = cacheIdOf(source, env);
    source.cacheKey = computeKey(source.cacheId);
  }
}
