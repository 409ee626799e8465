import type { App } from '../app.js';
import { artifactWalk } from '../build/graph/artifact-walk.js';
import { resolveBuildGraph } from '../build/graph/resolve-build-graph.js';
import { expectArguments } from './arguments.js';
import { normaliseTripletFile } from './triplets.js';

export const usage = 'REPO REF SYSTEM...';
export const help =
  'List the file names of every artifact of the systems, as a complete artifact cache holds them.';

/**
 * `morph list-artifacts REPO REF SYSTEM...` (docs/spec/morph.md 1.7.3): the union of
 * the artifact basenames of each system, sorted bytewise; nothing is built
 * and no cache is consulted.
 */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('list-artifacts', args, 3, Number.POSITIVE_INFINITY, 'a repository, a ref and systems');
  const [repo, ref, ...systems] = args as [string, string, ...string[]];
  const names = new Set<string>();
  for (const system of systems) {
    const build = await resolveBuildGraph(
      app,
      { repo, ref, file: normaliseTripletFile(system) },
      { checkArchitecture: false },
    );
    for (const artifact of artifactWalk(build.graph.root)) {
      const { kind, cacheKey } = artifact.source;
      names.add(`${cacheKey}.${kind}.${artifact.name}`);
      names.add(`${cacheKey}.meta`);
      if (kind === 'stratum') names.add(`${cacheKey}.stratum.${artifact.name}.meta`);
      if (kind === 'chunk') names.add(`${cacheKey}.build-log`);
    }
  }
  const sorted = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (sorted.length > 0) app.out(`${sorted.join('\n')}\n`);
}
