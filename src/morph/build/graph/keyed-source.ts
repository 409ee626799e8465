import type { ChunkMorphology, StratumMorphology, SystemMorphology } from '../../model.js';
import type { BuildGraph, Source, SourceKind } from './build-graph.js';

/**
 * A source whose cache key is known (docs/spec/morph.md 5.6): made once by
 * `keyBuildGraph` from a `Source` and its keyed dependencies, never changed
 * after. Its kind says which morphology it has.
 */
export interface KeyedSourceOf<K extends SourceKind, M>
  extends Omit<Source, 'kind' | 'morphology' | 'artifacts' | 'dependencies'> {
  readonly kind: K;
  readonly morphology: M;
  readonly artifacts: readonly KeyedArtifact[];
  /** Artifacts this source needs, in dependency order. */
  readonly dependencies: readonly KeyedArtifact[];
  /** The cache_id its key hashes. */
  readonly cacheId: Readonly<Record<string, unknown>>;
  readonly cacheKey: string;
}

/** A keyed chunk source. */
export type KeyedChunkSource = KeyedSourceOf<'chunk', ChunkMorphology>;
/** A keyed source of one stratum artifact. */
export type KeyedStratumSource = KeyedSourceOf<'stratum', StratumMorphology>;
/** The keyed system source. */
export type KeyedSystemSource = KeyedSourceOf<'system', SystemMorphology>;
/** Any keyed source. */
export type KeyedSource = KeyedChunkSource | KeyedStratumSource | KeyedSystemSource;

/** One output of a keyed source. */
export interface KeyedArtifact {
  readonly name: string;
  readonly source: KeyedSource;
}

/** A build graph whose every source is keyed. */
export interface KeyedBuildGraph extends Omit<BuildGraph, 'root' | 'order'> {
  /** The system's `<name>-rootfs` artifact. */
  readonly root: KeyedArtifact;
  /** Sources in build order (depth-first post-order from the root, de-duplicated). */
  readonly order: readonly KeyedSource[];
}

/**
 * Every chunk artifact a source needs installed, recursively through strata,
 * in walk order.
 */
export function chunkDependencies(source: KeyedSource): KeyedArtifact[] {
  const out: KeyedArtifact[] = [];
  const seen = new Set<KeyedArtifact>();
  const visit = (artifact: KeyedArtifact): void => {
    if (seen.has(artifact)) return;
    seen.add(artifact);
    for (const dep of artifact.source.dependencies) visit(dep);
    if (artifact.source.kind === 'chunk') out.push(artifact);
  };
  for (const dep of source.dependencies) visit(dep);
  return out;
}
