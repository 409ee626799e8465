import type { App } from '../app.js';
import { ChunkBuildError } from '../build/execute/chunk-build-error.js';
import { resolveBuildGraph } from '../build/graph/resolve-build-graph.js';
import { ArtifactBuilder } from '../build/schedule/build-artifacts.js';
import { parseTriplets } from './triplets.js';

export const usage = '(REPO REF FILE)...';
export const help = 'Build systems from a repository and ref, without a workspace or local changes.';

/**
 * `morph build-morphology (REPO REF FILE)...` (docs/spec/morph.md 1.7.8): `build`
 * without a workspace: only what REF holds in the (updated) git cache is
 * built, with REF as the definitions' original ref; the first failure stops
 * the run.
 */
export async function run(app: App, args: string[]): Promise<void> {
  await app.checkFreeSpace();
  for (const { repo, ref, file } of parseTriplets('build-morphology', args)) {
    app.status.normal(`building ${repo} ${ref} ${file}`);
    app.status.normal('deciding on task order');
    const builder = new ArtifactBuilder(app);
    try {
      const build = await resolveBuildGraph(
        app,
        { repo, ref, file, originalRef: ref },
        { onPartial: (partial) => builder.prebuild(partial) },
      ).catch(async (err: unknown) => {
        await builder.abandon(err);
        throw err;
      });
      await builder.build(build);
    } catch (err) {
      if (err instanceof ChunkBuildError) app.out(`${err.step} failed\n${err.log}`);
      throw err;
    }
    app.status.normal(`build of ${repo} ${ref} ${file} ended successfully`);
  }
}
