import { artifactRef } from '../../cache/artifact-ref.js';
import type { KeyedArtifact, KeyedSource } from '../graph/keyed-source.js';
import type { MetadataRecord } from './metadata-record.js';

/** One artifact to produce: a chunk, stratum or system artifact. */
export interface ArtifactPlan {
  name: string;
  /** Its OSTree ref. */
  ref: string;
  /** The metadata record without `contents`, which assembly fills in. */
  record: Omit<MetadataRecord, 'contents' | 'artifact-name'>;
}

/**
 * The plan (ref + metadata record) of one artifact of `source`. The record
 * holds nothing of the host: `repo` is the name as written in the
 * definitions, and morph's version is left out (it is not in the key).
 */
export function artifactPlan(source: KeyedSource, artifact: KeyedArtifact): ArtifactPlan {
  return {
    name: artifact.name,
    ref: artifactRef(source.cacheKey, source.kind, artifact.name),
    record: {
      'source-name': source.name,
      kind: source.kind,
      description: source.morphology.description,
      repo: source.recordedName ?? source.repoName,
      'repo-alias': source.recordedName ?? source.repoName,
      original_ref: source.originalRef,
      sha1: source.commit,
      morphology: source.file,
      'cache-key': source.cacheKey,
      'cache-id': source.cacheId,
    },
  };
}
