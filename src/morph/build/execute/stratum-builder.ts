import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invariant } from '../../../shared/invariant.js';
import { artifactRef } from '../../cache/artifact-ref.js';
import { artifactPlan } from '../assemble/artifact-plan.js';
import { formatMetadata } from '../assemble/metadata-record.js';
import { clampMtimes, makeOwnDirectory, writeOwnFile } from '../graph/hermetic.js';
import type { KeyedArtifact, KeyedSource, KeyedStratumSource } from '../graph/keyed-source.js';
import { createStagingArea } from '../stage/staging-area.js';
import type { BuildContext } from './build-context.js';
import { SourceTiming } from './source-timing.js';

/** Commit metadata key of a stratum artifact: base64 JSON list of its chunk artifact refs. */
export const STRATUM_CHUNKS_KEY = 'morph.chunk-refs';

/** The chunk artifacts making up a stratum artifact: its chunk dependencies, bootstrap chunks excluded. */
export function stratumConstituents(source: KeyedSource): KeyedArtifact[] {
  return source.dependencies.filter((a) => a.source.kind === 'chunk' && a.source.buildMode !== 'bootstrap');
}

/**
 * Stores a stratum artifact (docs/spec/morph.md 5.12): a commit holding only
 * `baserock/<artifact>.meta`, whose metadata lists the refs of its chunk
 * artifacts. No commands run.
 */
export async function buildStratum(ctx: BuildContext, source: KeyedStratumSource): Promise<void> {
  const timing = new SourceTiming();
  const artifact = source.artifacts[0];
  invariant(artifact, `${source.kind} source ${source.name} has no artifact`);
  const constituents = stratumConstituents(source);
  const chunkRefs = stratumChunkRefs(source);
  const plan = artifactPlan(source, artifact);
  const dir = await createStagingArea(ctx.app.settings.tempdir);
  try {
    await timing.stage('overall-build', async () => {
      const record = {
        ...plan.record,
        'artifact-name': artifact.name,
        contents: constituents.map((a) => a.name),
      };
      await chmod(dir, 0o755);
      await makeOwnDirectory(join(dir, 'baserock'));
      await writeOwnFile(join(dir, 'baserock', `${artifact.name}.meta`), formatMetadata(record));
      clampMtimes(dir);
      await ctx.cache.commitTree(dir, plan.ref, {
        subject: artifact.name,
        metadata: { [STRATUM_CHUNKS_KEY]: Buffer.from(JSON.stringify(chunkRefs)).toString('base64') },
        consume: true,
      });
    });
    await timing.write(ctx.cache.sourceMetaPath(source.cacheKey));
    // Layered now, while other sources build, for the system's assembly (system-builder.ts).
    // Not awaited: ArtifactCache.layered forgets a failed layer, so the system builder's own
    // call layers again and reports the failure; this catch only marks this promise handled.
    ctx.cache.layered(systemLayer(chunkRefs, plan.ref)).catch(() => {});
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What a system's assembly installs of one stratum artifact, in order: its
 * chunk artifacts, then the stratum artifact itself (its `.meta`).
 */
export function systemLayer(chunkRefs: readonly string[], stratumRef: string): string[] {
  return [...chunkRefs, stratumRef];
}

/** The refs of a stratum artifact's chunk artifacts (what `morph.chunk-refs` records). */
export function stratumChunkRefs(source: KeyedSource): string[] {
  return stratumConstituents(source).map((a) => artifactRef(a.source.cacheKey, 'chunk', a.name));
}
