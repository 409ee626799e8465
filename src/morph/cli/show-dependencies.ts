import type { App } from '../app.js';
import { artifactWalk } from '../build/graph/artifact-walk.js';
import type { KeyedArtifact } from '../build/graph/keyed-source.js';
import { resolveBuildGraph } from '../build/graph/resolve-build-graph.js';
import { parseTriplets } from './triplets.js';

export const usage = '(REPO REF FILE)...';
export const help =
  'Print the dependency graph of systems, each artifact with the artifacts its source depends on.';

/**
 * `morph show-dependencies (REPO REF FILE)...` (docs/spec/morph.md 1.7.4): per
 * triplet a header, then the artifacts root first (the reverse of the
 * post-order walk), each followed by `    -> ` lines for the dependencies of
 * its source, sorted bytewise.
 */
export async function run(app: App, args: string[]): Promise<void> {
  for (const { repo, ref, file } of parseTriplets('show-dependencies', args)) {
    app.out(`dependency graph for ${repo}|${ref}|${file}:\n`);
    const build = await resolveBuildGraph(app, { repo, ref, file });
    const lines: string[] = [];
    for (const artifact of artifactWalk(build.graph.root).reverse()) {
      lines.push(`  ${describe(artifact)}`);
      const deps = artifact.source.dependencies.map(describe).sort(byBytes);
      for (const dep of deps) lines.push(`    -> ${dep}`);
    }
    app.out(`${lines.join('\n')}\n`);
  }
}

/** `<repo>|<ref>|<file>|<source name>|<artifact name>`, repo and ref as written. */
function describe(artifact: KeyedArtifact): string {
  const { repoName, originalRef, file, name } = artifact.source;
  return [repoName, originalRef, file, name, artifact.name].join('|');
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
