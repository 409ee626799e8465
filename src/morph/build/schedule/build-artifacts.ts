import { join } from 'node:path';
import { JobSlots } from '../../../shared/job-slots.js';
import { ArtifactCache } from '../../cache/artifact-cache.js';
import { artifactRef } from '../../cache/artifact-ref.js';
import { RemoteArtifactCache } from '../../cache/remote-artifact-cache.js';
import { MorphError } from '../../errors.js';
import type { BuildContext } from '../execute/build-context.js';
import {
  buildChunk,
  type ChunkSources,
  extractChunkSources,
  removeChunkSources,
  stagingTree,
} from '../execute/chunk-builder.js';
import { buildStratum } from '../execute/stratum-builder.js';
import { buildSystem } from '../execute/system-builder.js';
import type { BuildApp } from '../graph/build-app.js';
import type { KeyedSource } from '../graph/keyed-source.js';
import type { ResolvedBuild } from '../graph/resolve-build-graph.js';
import { openRemoteExecutor } from '../remote/open-remote-executor.js';
import { describeRemoteStats, type RemoteExecutor } from '../remote/remote-executor.js';
import { restoreArtifactDevices } from '../stage/artifact-devices.js';
import { DependencyTrees } from '../stage/dependency-trees.js';
import { Prefetch } from './source-prefetch.js';

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
 * cache (docs/spec/morph.md 5.8): sources whose artifacts are all cached (locally, or
 * after a pull from the remote artifact cache) are skipped; the rest build
 * as soon as their dependencies are done, up to `max-jobs` at once. The
 * first failure stops new builds; the builds in flight finish, then it is
 * thrown.
 */
export function buildArtifacts(
  app: BuildApp,
  build: ResolvedBuild,
  options: BuilderOptions = {},
): Promise<BuildOutcome> {
  return new ArtifactBuilder(app, options).build(build);
}

/** How a builder reports. */
export interface BuilderOptions {
  onProgress?: (progress: BuildProgress) => void;
}

/**
 * The builds of one `morph build`, which may start before resolution ends:
 * `prebuild` takes the partial systems of `resolveBuildGraph`'s `onPartial`
 * (strata whose closure is resolved) and starts their chunks and strata at
 * once; `build` then adds the whole system, waits for everything and cleans
 * up; `abandon` stops everything when resolution fails. Sources are known by
 * cache key, so a source of several partial systems is built once.
 */
export class ArtifactBuilder {
  private readonly app: BuildApp;
  private readonly abort = new AbortController();
  private readonly commandSlots: JobSlots;
  private readonly inFlight: JobSlots;
  /** Every source scheduled, by cache key: its build (or cache lookup) and its dependencies'. */
  private readonly scheduled = new Map<string, Promise<void>>();
  private scheduling: Promise<void> = Promise.resolve();
  private opened?: Promise<Opened>;
  private readonly running = new Set<string>();
  private done = 0;
  private total = 0;
  private numbered = 0;
  private built = 0;
  private failure: { error: unknown } | undefined;
  private readonly executor: RemoteExecutor | undefined;

  constructor(
    app: BuildApp,
    private readonly options: BuilderOptions = {},
  ) {
    const signal = app.signal ? AbortSignal.any([app.signal, this.abort.signal]) : this.abort.signal;
    this.app = { ...app, signal };
    // Up to max-jobs sources run their commands (or assemble a system) at
    // once; as many more prepare (staging, sources) or store their artifacts
    // meanwhile, so that the command slots do not wait for them.
    const limit = Math.max(1, app.settings['max-jobs']);
    this.commandSlots = new JobSlots(limit);
    this.executor = openRemoteExecutor(app.settings);
    // Remote chunks wait on the engine, not on this machine: as many may be in flight as it takes.
    this.inFlight = new JobSlots(Math.max(2 * limit, this.executor ? app.settings['max-remote-jobs'] : 0));
  }

  /** Starts building a partial system (all of it but its root), as `onPartial` gives it. */
  prebuild(build: ResolvedBuild): void {
    this.enqueue(build, false).catch((err: unknown) => this.fail(err));
  }

  /** Builds the whole system (what `prebuild` started included), then cleans up. */
  async build(build: ResolvedBuild): Promise<BuildOutcome> {
    try {
      await this.enqueue(build, true);
      await this.settle();
    } catch (err) {
      this.fail(err);
      await this.settle();
    } finally {
      await this.close();
    }
    if (this.failure) throw this.failure.error;
    const root = build.graph.root.source;
    return { ref: refsOf(root)[0] as string, built: this.built };
  }

  /** Stops every build (running commands are killed) because of `reason`, and cleans up. */
  async abandon(reason: unknown): Promise<void> {
    this.fail(reason);
    this.abort.abort(reason);
    await this.settle();
    await this.close();
  }

  private fail(err: unknown): void {
    this.failure ??= { error: err };
  }

  private enqueue(build: ResolvedBuild, withRoot: boolean): Promise<void> {
    const next = this.scheduling.catch(() => {}).then(() => this.schedule(build, withRoot));
    this.scheduling = next;
    return next;
  }

  private open(): Promise<Opened> {
    this.opened ??= (async () => {
      const { settings } = this.app;
      const cache = await ArtifactCache.open(settings.cachedir);
      const remoteUrl = settings['artifact-cache-server'];
      const remote = RemoteArtifactCache.isUsable(remoteUrl)
        ? new RemoteArtifactCache(cache, remoteUrl)
        : undefined;
      const trees = new DependencyTrees(cache, join(settings.tempdir, 'staging'), (argv) =>
        this.app.runApp(argv),
      );
      // As many sources checked out ahead as chunks may prepare at once.
      const sources = new Prefetch<ChunkSources>(2 * Math.max(1, settings['max-jobs']), removeChunkSources);
      return { cache, remote, trees, sources };
    })();
    return this.opened;
  }

  /** Schedules the sources of `build` not scheduled yet (its root only when `withRoot`). */
  private async schedule(build: ResolvedBuild, withRoot: boolean): Promise<void> {
    const { cache, remote, trees, sources } = await this.open();
    const root = build.graph.root.source;
    const fresh: KeyedSource[] = [];
    const seen = new Set<string>();
    for (const source of build.graph.order) {
      const key = keyOf(source);
      if ((source === root && !withRoot) || this.scheduled.has(key) || seen.has(key)) continue;
      seen.add(key);
      fresh.push(source);
    }
    this.total = withRoot
      ? new Set([...this.scheduled.keys(), ...build.graph.order.map(keyOf)]).size
      : Math.max(
          this.total,
          this.scheduled.size + fresh.length,
          build.graph.definitions.expectedSources ?? 0,
        );

    // Artifacts missing locally are fetched from the remote cache in one go.
    const absent = new Set<string>();
    for (const source of fresh) {
      for (const ref of refsOf(source)) if (!(await cache.hasRef(ref))) absent.add(ref);
    }
    if (absent.size > 0 && remote) {
      for (const ref of await remote.pull([...absent])) {
        await restoreArtifactDevices(cache, ref, this.app.settings.tempdir);
        absent.delete(ref);
      }
    }
    const missing = new Set(fresh.filter((source) => refsOf(source).some((ref) => absent.has(ref))));
    // Every chunk that will stage a dependency list is announced before any stages one.
    for (const source of missing) {
      if (source.kind !== 'chunk') continue;
      const { refs, options } = stagingTree(source);
      trees.expect(refs, options);
      // Sources are checked out in build order while the chunks wait for their dependencies.
      sources.offer(keyOf(source), () =>
        this.failure
          ? Promise.reject(this.failure.error)
          : extractChunkSources(this.app, source, { background: true }),
      );
    }
    for (const source of fresh) {
      const number = ++this.numbered;
      const promise = this.run(build, source, number, missing.has(source), { cache, trees, sources });
      promise.catch(() => {}); // marked handled: run() records its failure (fail) and dependents await it
      this.scheduled.set(keyOf(source), promise);
    }
  }

  private async run(
    build: ResolvedBuild,
    source: KeyedSource,
    number: number,
    missing: boolean,
    { cache, trees, sources }: Omit<Opened, 'remote'>,
  ): Promise<void> {
    // Dependencies come before their dependents in every graph's order: all are scheduled.
    const deps = [...new Set(source.dependencies.map((a) => keyOf(a.source)))];
    await Promise.all(deps.map((key) => this.scheduled.get(key)));
    // A stratum has one source per artifact: name the artifact, not the stratum.
    const label = source.kind === 'stratum' ? (source.artifacts[0]?.name ?? source.name) : source.name;
    const status = this.app.status.withPrefix(`[${number}/${this.total}] ${label}: `);
    if (missing) {
      if (this.failure) throw this.failure.error;
      await this.inFlight.run(async () => {
        try {
          if (this.failure) throw this.failure.error;
          if (this.app.signal?.aborted) throw new MorphError('build', 'interrupted', 'build interrupted');
          this.running.add(label);
          this.progress();
          const start = Date.now();
          status.normal(`Building ${source.kind} ${label}`);
          const ctx: BuildContext = {
            app: this.app,
            cache,
            arch: build.arch,
            env: build.env,
            status,
            dependencyTrees: trees,
            remote: this.executor,
            // A source still waiting for a slot when another fails does not start.
            commandSlot: (work) =>
              this.commandSlots.run(() => (this.failure ? Promise.reject(this.failure.error) : work())),
          };
          await buildSource(ctx, source, sources.take(keyOf(source)));
          this.built++;
          status.normal(`Built ${source.kind} ${label} in ${formatElapsed(Date.now() - start)}`);
        } catch (err) {
          this.fail(err);
          throw err;
        } finally {
          this.running.delete(label);
        }
      });
    }
    // Dependency lists still to come that stage this chunk are layered this far now.
    if (source.kind === 'chunk') trees.stored(refsOf(source));
    this.done++;
    this.progress();
    for (const ref of refsOf(source)) {
      const line = `${source.kind === 'system' ? 'System' : 'Artifact'} is in cache: ${cache.repoPath}:${ref}`;
      if (source.kind === 'system') status.normal(line);
      else status.chatty(line);
    }
  }

  private progress(): void {
    this.options.onProgress?.({ done: this.done, total: this.total, running: [...this.running] });
  }

  /** Waits until every scheduled source has settled (more may be scheduled meanwhile). */
  private async settle(): Promise<void> {
    for (let count = -1; count !== this.scheduled.size; ) {
      count = this.scheduled.size;
      await this.scheduling.catch(() => {});
      await Promise.allSettled([...this.scheduled.values()]);
    }
  }

  private async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (this.executor) {
      this.app.status.normal(describeRemoteStats(this.executor.stats()));
      this.executor.close();
    }
    if (!opened) return;
    const { cache, trees, sources } = await opened;
    try {
      await sources.close();
      await trees.removeAll();
    } finally {
      cache.close();
    }
  }
}

/** What a builder opens once. */
interface Opened {
  cache: ArtifactCache;
  remote: RemoteArtifactCache | undefined;
  trees: DependencyTrees;
  /** Chunk sources checked out ahead of their builds. */
  sources: Prefetch<ChunkSources>;
}

function keyOf(source: KeyedSource): string {
  return source.cacheKey;
}

function refsOf(source: KeyedSource): string[] {
  return source.artifacts.map((a) => artifactRef(source.cacheKey, source.kind, a.name));
}

/**
 * Chunks take a command slot for their commands only; a system takes one for
 * its whole assembly; a stratum (one small commit) needs none.
 */
function buildSource(ctx: BuildContext, source: KeyedSource, sources?: Promise<ChunkSources>): Promise<void> {
  switch (source.kind) {
    case 'chunk':
      return buildChunk(ctx, source, sources);
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
