import { stringify } from 'yaml';
import type { App } from '../app.js';
import { artifactWalk } from '../build/graph/artifact-walk.js';
import type { KeyedArtifact, KeyedSource } from '../build/graph/keyed-source.js';
import { resolveBuildGraph } from '../build/graph/resolve-build-graph.js';
import { MorphError } from '../errors.js';
import { normaliseTripletFile } from './triplets.js';

export const usage = 'REPO REF FILE [ORIGINAL_REF]';
export const help =
  'Print the build graph of a system as one JSON string holding a YAML document (for tools).';

/**
 * `morph serialise-artifact REPO REF FILE [ORIGINAL_REF]` (docs/spec/morph.md 1.7.11):
 * one line, a JSON string literal whose text is a YAML mapping of
 * `root_artifact`, `artifacts` and `sources`. Unlike 2015 (Python object
 * addresses), ids are stable: `<cache key>.<artifact>` and the cache key.
 * @throws MorphError cli/wrong-arguments, and those of resolveBuildGraph
 */
export async function run(app: App, args: string[]): Promise<void> {
  if (args.length < 3 || args.length > 4) {
    throw new MorphError(
      'cli',
      'wrong-arguments',
      'morph serialise-artifact takes a repo/ref/morph triplet and optionally a ref name',
    );
  }
  const [repo, ref, file, originalRef] = args as [string, string, string, string | undefined];
  const build = await resolveBuildGraph(app, {
    repo,
    ref,
    file: normaliseTripletFile(file),
    originalRef: originalRef ?? ref,
  });
  const order = artifactWalk(build.graph.root);
  const id = (artifact: KeyedArtifact): string => `${artifact.source.cacheKey}.${artifact.name}`;
  const sources = new Map<string, KeyedSource>(order.map((a) => [a.source.cacheKey, a.source]));
  const document = {
    root_artifact: id(build.graph.root),
    artifacts: Object.fromEntries(
      order.map((a) => [id(a), { source: a.source.cacheKey, name: a.name, arch: build.arch }]),
    ),
    sources: Object.fromEntries(
      [...sources].map(([key, source]) => [
        key,
        {
          name: source.name,
          repo_name: source.repoName,
          original_ref: source.originalRef,
          sha1: source.commit,
          tree: source.tree,
          filename: source.file,
          kind: source.kind,
          artifact_ids: source.artifacts.map(id),
          cache_key: key,
          cache_id: source.cacheId,
          dependencies: source.dependencies.map(id),
          ...(source.kind === 'chunk' ? { build_mode: source.buildMode, prefix: source.prefix } : {}),
        },
      ]),
    ),
  };
  app.out(`${JSON.stringify(stringify(document))}\n`);
}
