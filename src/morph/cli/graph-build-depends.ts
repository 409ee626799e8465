import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { App } from '../app.js';
import { artifactWalk } from '../build/graph/artifact-walk.js';
import type { KeyedArtifact, KeyedSource } from '../build/graph/keyed-source.js';
import { resolveBuildGraph } from '../build/graph/resolve-build-graph.js';
import { MorphError } from '../errors.js';
import { parseTriplets } from './triplets.js';

export const usage = '(REPO REF FILE)...';
export const help =
  'Write the build dependencies of systems as a Graphviz DOT file, FILE with .gv for .morph.';

const SHAPES = { system: 'octagon', stratum: 'box', chunk: 'ellipse' } as const;

/**
 * `morph graph-build-depends (REPO REF FILE)...` (docs/spec/morph.md 1.7.5): writes
 * `<FILE minus extension>.gv` relative to cwd: nodes in build order, each
 * followed by its edges; a stratum only points at the artifacts nothing
 * else depends on (its own chunks), for readability.
 * @throws MorphError cli/cannot-write-graph
 */
export async function run(app: App, args: string[]): Promise<void> {
  for (const { repo, ref, file } of parseTriplets('graph-build-depends', args)) {
    app.status.normal(`creating build order for ${repo} ${ref} ${file}`);
    const build = await resolveBuildGraph(app, { repo, ref, file });
    const name = file.replace(/\.[^./]*$/, '');
    const out = `${name}.gv`;
    app.status.normal(`writing DOT file to ${out}`);
    await writeFile(resolve(app.cwd, out), formatDot(name, artifactWalk(build.graph.root))).catch(
      (cause: unknown) => {
        throw new MorphError(
          'cli',
          'cannot-write-graph',
          `cannot write ${out}: ${(cause as Error).message}`,
          {
            cause,
          },
        );
      },
    );
  }
}

/** The DOT text of a graph whose artifacts are given in build order. */
export function formatDot(title: string, order: readonly KeyedArtifact[]): string {
  // Dependents counted by source: a source's artifacts share its dependencies.
  const dependents = new Map<KeyedArtifact, Set<KeyedSource>>();
  for (const artifact of order) {
    for (const dep of artifact.source.dependencies) {
      const set = dependents.get(dep) ?? new Set<KeyedSource>();
      set.add(artifact.source);
      dependents.set(dep, set);
    }
  }
  const lines = [`digraph ${JSON.stringify(title)} {`];
  for (const artifact of order) {
    lines.push(`  ${JSON.stringify(artifact.name)} [shape=${SHAPES[artifact.source.kind]}];`);
    for (const dep of artifact.source.dependencies) {
      if (artifact.source.kind === 'stratum' && (dependents.get(dep)?.size ?? 0) > 1) continue;
      lines.push(`  ${JSON.stringify(artifact.name)} -> ${JSON.stringify(dep.name)};`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
