import { join } from 'node:path';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { artifactRef } from '../cache/artifact-ref.js';
import { RemoteArtifactCache } from '../cache/remote-artifact-cache.js';
import { MorphError } from '../errors.js';
import { restoreArtifactDevices } from './artifact-devices.js';
import type { BuildApp } from './build-app.js';
import type { BuildContext } from './build-context.js';
import type { Source } from './build-graph.js';
import { buildChunk, stagingTree } from './chunk-builder.js';
import { DependencyTrees } from './dependency-trees.js';
import { JobSlots } from './job-slots.js';
import type { ResolvedBuild } from './resolve-build-graph.js';
import { buildStratum } from './stratum-builder.js';
import { buildSystem } from './system-builder.js';

/** Progress of a build, for a live display. */
export interface BuildProgress {
  done: number;
  total: number;
  /** Names of the sources being built right now. */
  running: string[];
}

/** The result of building a system. */
export interface BuildOutcome {
  /** The system artifact's OSTree ref. */
  ref: string;
  /** How many sources were built (0 when everything was cached). */
  built: number;
}

/**
 * Builds every source of a resolved system that is not in the artifact
 * cache (morph.md 5.8): sources whose artifacts are all cached (locally, or
 * after a pull from the remote artifact cache) are skipped; the rest build
 * as soon as their dependencies are done, up to `max-jobs` at once. The
 * first failure stops new builds; the builds in flight finish, then it is
 * thrown.
 */
export async function buildArtifacts(
  app: BuildApp,
  build: ResolvedBuild,
  options: { onProgress?: (progress: BuildProgress) => void } = {},
): Promise<BuildOutcome> {
  const cache = await ArtifactCache.open(app.settings.cachedir);
  const remoteUrl = app.settings['artifact-cache-server'];
  const remote = RemoteArtifactCache.isUsable(remoteUrl)
    ? new RemoteArtifactCache(cache, remoteUrl)
    : undefined;
  const order = build.graph.order;
  const total = order.length;
  const refsOf = (source: Source): string[] =>
    source.artifacts.map((a) => artifactRef(source.cacheKey as string, source.kind, a.name));

  // Artifacts missing locally are fetched from the remote cache in one go.
  const absent: string[] = [];
  for (const source of order) {
    for (const artifact of source.artifacts) {
      if (!(await cache.has(source.cacheKey as string, source.kind, artifact.name))) {
        absent.push(artifactRef(source.cacheKey as string, source.kind, artifact.name));
      }
    }
  }
  if (absent.length > 0 && remote) {
    for (const ref of await remote.pull(absent))
      await restoreArtifactDevices(cache, ref, app.settings.tempdir);
  }
  const missing = new Set<Source>();
  for (const source of order) {
    for (const ref of refsOf(source)) if (!(await cache.hasRef(ref))) missing.add(source);
  }

  // Up to max-jobs sources run their commands (or assemble a stratum or
  // system) at once; as many more prepare (staging, sources) or store their
  // artifacts meanwhile, so that the command slots do not wait for them.
  const limit = Math.max(1, app.settings['max-jobs']);
  const commandSlots = new JobSlots(limit);
  const inFlight = new JobSlots(2 * limit);
  const running = new Set<string>();
  let done = 0;
  let failure: unknown;
  const progress = (): void => options.onProgress?.({ done, total, running: [...running] });

  const dependencyTrees = new DependencyTrees(cache, join(app.settings.tempdir, 'staging'), (argv) =>
    app.runApp(argv),
  );
  for (const source of missing) {
    if (source.kind !== 'chunk') continue;
    const { refs, options } = stagingTree(source);
    dependencyTrees.expect(refs, options);
  }
  const finished = new Map<Source, Promise<void>>();
  const run = (source: Source, index: number): Promise<void> => {
    let promise = finished.get(source);
    if (promise) return promise;
    promise = (async () => {
      const deps = [...new Set(source.dependencies.map((a) => a.source))];
      await Promise.all(deps.map((dep) => run(dep, order.indexOf(dep))));
      // A stratum has one source per artifact: name the artifact, not the stratum.
      const label = source.kind === 'stratum' ? (source.artifacts[0]?.name ?? source.name) : source.name;
      const status = app.status.withPrefix(`[${index + 1}/${total}] ${label}: `);
      if (missing.has(source)) {
        if (failure !== undefined) throw failure;
        await inFlight.run(async () => {
          try {
            if (failure !== undefined) throw failure;
            if (app.signal?.aborted) throw new MorphError('build', 'interrupted', 'build interrupted');
            running.add(label);
            progress();
            const start = Date.now();
            status.normal(`Building ${source.kind} ${label}`);
            const ctx: BuildContext = {
              app,
              cache,
              arch: build.arch,
              env: build.env,
              status,
              dependencyTrees,
              // A source still waiting for a slot when another fails does not start.
              commandSlot: (work) =>
                commandSlots.run(() => (failure === undefined ? work() : Promise.reject(failure))),
            };
            await buildSource(ctx, source);
            status.normal(`Built ${source.kind} ${label} in ${formatElapsed(Date.now() - start)}`);
          } catch (err) {
            failure ??= err;
            throw err;
          } finally {
            running.delete(label);
          }
        });
      }
      done++;
      progress();
      for (const ref of refsOf(source)) {
        const line = `${source.kind === 'system' ? 'System' : 'Artifact'} is in cache: ${cache.repoPath}:${ref}`;
        if (source.kind === 'system') status.normal(line);
        else status.chatty(line);
      }
    })();
    finished.set(source, promise);
    return promise;
  };
  const all = order.map((source, index) => run(source, index).catch(() => {}));
  try {
    await Promise.all(all);
  } finally {
    await dependencyTrees.removeAll();
    cache.close();
  }
  if (failure !== undefined) throw failure;
  return { ref: refsOf(build.graph.root.source)[0] as string, built: missing.size };
}

/**
 * Chunks take a command slot for their commands only; a system takes one for
 * its whole assembly; a stratum (one small commit) needs none.
 */
function buildSource(ctx: BuildContext, source: Source): Promise<void> {
  switch (source.kind) {
    case 'chunk':
      return buildChunk(ctx, source);
    case 'stratum':
      return buildStratum(ctx, source);
    case 'system':
      return ctx.commandSlot(() => buildSystem(ctx, source));
  }
}

function formatElapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 3600)}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}
