import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { moveFile } from '../../../shared/atomic-file.js';
import { runCommand } from '../../../shared/exec.js';
import { artifactRef } from '../../cache/artifact-ref.js';
import { MorphError } from '../../errors.js';
import { artifactPlan } from '../assemble/artifact-plan.js';
import { assembleChunkArtifacts } from '../assemble/chunk-assembly.js';
import { chunkPath } from '../graph/build-environment.js';
import {
  chunkDependencies,
  type KeyedArtifact,
  type KeyedChunkSource,
  type KeyedSource,
} from '../graph/keyed-source.js';
import { matchRule } from '../graph/split-rules.js';
import { platformOf } from '../remote/open-remote-executor.js';
import { remoteEnvironment } from '../remote/remote-environment.js';
import type { TreeOptions } from '../stage/dependency-trees.js';
import { createDeviceNodes, deviceFromSpec } from '../stage/device-nodes.js';
import { checkoutSource } from '../stage/source-checkout.js';
import { createStagingArea } from '../stage/staging-area.js';
import type { BuildContext } from './build-context.js';
import { ChunkBuildError } from './chunk-build-error.js';
import { runChunkCommands } from './run-chunk-commands.js';
import type { SandboxSpec } from './sandbox.js';
import { SourceTiming } from './source-timing.js';

/**
 * The chunk artifacts installed in a chunk's staging area (docs/spec/morph.md 5.9):
 * its recursive chunk dependencies, except bootstrap-mode chunks of other strata.
 */
export function stagingDependencies(source: KeyedSource): KeyedArtifact[] {
  return chunkDependencies(source).filter(
    (artifact) => artifact.source.buildMode !== 'bootstrap' || sameStrata(artifact.source, source),
  );
}

function sameStrata(a: KeyedSource, b: KeyedSource): boolean {
  return a.strata.size === b.strata.size && [...a.strata].every((file) => b.strata.has(file));
}

/** The artifacts a chunk stages, their refs, and how their tree is prepared (dependency-trees.ts). */
export function stagingTree(source: KeyedSource): {
  deps: KeyedArtifact[];
  refs: string[];
  options: TreeOptions;
} {
  const deps = stagingDependencies(source);
  const refs = deps.map((a) => artifactRef(a.source.cacheKey, 'chunk', a.name));
  return { deps, refs, options: { ldconfig: source.buildMode === 'staging' } };
}

/**
 * Builds one chunk source and stores its artifacts (docs/spec/morph.md 5.9-5.11):
 * staging area of hard-linked dependencies, source checkout, the twelve
 * command lists in a bubblewrap sandbox, device nodes, splitting and commits.
 * @throws ChunkBuildError when a command fails (staging area moved to `<tempdir>/failed/`).
 */
export async function buildChunk(
  ctx: BuildContext,
  source: KeyedChunkSource,
  prefetched?: Promise<ChunkSources>,
): Promise<void> {
  const { app, cache } = ctx;
  const settings = app.settings;
  const key = source.cacheKey;
  const morphology = source.morphology;
  const timing = new SourceTiming();
  /** The staging area, once its sources are there; its build log lies beside it. */
  let staging: string | undefined;
  const logOf = (area: string) => join(settings.tempdir, `${basename(area)}.build-log`);
  let keepStaging = false;
  const { deps, refs: depRefs, options: treeOptions } = stagingTree(source);
  let treeHeld = false;
  const releaseTree = (): void => {
    if (treeHeld) ctx.dependencyTrees.release(depRefs, treeOptions);
    treeHeld = false;
  };
  try {
    const chrooted = source.buildMode === 'staging';
    // The dependency tree and the sources do not depend on each other: make both at once.
    const [staged, extracted] = await Promise.allSettled([
      timing.stage('install-dependencies', async () => {
        ctx.status.chatty(`Installing ${deps.length} chunk artifacts into the staging area`);
        const tree = await ctx.dependencyTrees.acquire(depRefs, treeOptions);
        treeHeld = true;
        return tree;
      }),
      timing.stage('extract-sources', () => prefetched ?? extractChunkSources(app, source)),
    ]);
    if (extracted.status === 'fulfilled') staging = extracted.value.staging;
    if (staged.status === 'rejected') throw staged.reason;
    if (extracted.status === 'rejected') throw extracted.reason;
    const depsTree = staged.value;
    const { buildDir, instDir, staging: area } = extracted.value;
    const buildLog = logOf(area);

    const prefixes = [...new Set(deps.map((a) => a.source.prefix))];
    // Staging-mode chunks run on the remote engine when there is one (their
    // sandbox holds nothing of the host); bootstrap and test modes need the host.
    const remote = chrooted ? ctx.remote : undefined;
    let ccacheDir: string | undefined;
    if (!settings['no-ccache'] && !remote) {
      ccacheDir = join(
        settings['compiler-cache-dir'],
        basename(source.repoName.replace(/[:/]+$/, '')).replace(/^.*:/, ''),
      );
      await mkdir(ccacheDir, { recursive: true });
    }
    // Every mode sees its sources, DESTDIR and (on the host) dependencies at
    // fixed paths, so that paths compiled into the artifacts are the same on every machine.
    const paths = fixedBuildPaths(source.name);
    const env: Record<string, string> = {
      ...ctx.env,
      PREFIX: source.prefix,
      PATH: chunkPath({
        dependencyPrefixes: prefixes,
        noCcache: settings['no-ccache'] || remote !== undefined,
        staging: chrooted ? undefined : { dir: paths.deps, hostPath: process.env.PATH ?? '/usr/bin:/bin' },
      }),
      DESTDIR: paths.inst,
    };
    const binds = [
      { host: buildDir, inside: paths.build },
      { host: instDir, inside: paths.inst },
    ];
    let sandbox: SandboxSpec;
    if (chrooted) {
      sandbox = { kind: 'chroot', root: depsTree, binds, ccacheDir, cwd: paths.build };
    } else {
      sandbox = {
        kind: 'host',
        writable: ccacheDir ? [ccacheDir] : [],
        binds: [...binds, { host: depsTree, inside: paths.deps, readOnly: true }],
        cwd: paths.build,
      };
      if (ccacheDir) env.CCACHE_DIR = ccacheDir;
    }

    await rm(buildLog, { force: true });
    const maxJobs = morphology['max-jobs'] ?? settings['max-jobs'];
    const failure = remote
      ? await timing.stage('build', () =>
          remote.run(
            {
              name: source.name,
              morphology,
              depsTree,
              depRefs,
              cache,
              buildDir,
              instDir,
              env: remoteEnvironment(env),
              maxJobs,
              logPath: buildLog,
              timeoutSeconds: settings['build-timeout'],
              platform: platformOf(ctx.arch),
              onStatus: (line) => ctx.status.normal(line),
            },
            app.signal,
          ),
        )
      : await ctx.commandSlot(() =>
          timing.stage('build', () =>
            runChunkCommands({
              morphology,
              sandbox,
              env,
              maxJobs,
              logPath: buildLog,
              scratchDir: settings.tempdir,
              signal: app.signal,
              timeoutSeconds: settings['build-timeout'],
              onStep: (step) => ctx.status.chatty(`Running ${step} commands`),
              onOutput:
                settings['build-log-on-stdout'] && app.out
                  ? (chunk) => app.out?.(chunk.toString())
                  : undefined,
            }),
          ),
        );
    // Killed because the build stopped (Ctrl-C, or resolution failed): not this chunk's failure.
    if (failure && app.signal?.aborted) throw app.signal.reason;
    if (failure) {
      // Reading or keeping the log is best effort: neither may hide the build's own failure.
      const log = await readFile(buildLog, 'utf8').catch(() => '');
      // The log stays readable from the cache.
      await moveFile(buildLog, cache.buildLogPath(key)).catch(() => {});
      const marker = Buffer.from(failure.command).toString('utf8');
      const output = log.slice(log.lastIndexOf(`# # ${marker}\n`) + marker.length + 5);
      const described = {
        chunk: source.name,
        step: failure.step,
        command: marker,
        exitCode: failure.exitCode,
        log,
        output,
        timedOutAfter: failure.timedOutAfter,
      };
      if (output.includes('No space left on device')) {
        // Keeping it would keep the disk full: the staging area goes (finally, below).
        throw new ChunkBuildError({ ...described, stagingArea: area, noSpace: true });
      }
      const failed = join(settings.tempdir, 'failed', basename(area));
      await mkdir(join(settings.tempdir, 'failed'), { recursive: true });
      await rm(failed, { recursive: true, force: true });
      // The failed staging area shows what the sandbox saw: the dependencies too (hard links).
      await runCommand(['cp', '-al', `${depsTree}/.`, `${area}/`], { allowFailure: true });
      await rename(area, failed);
      keepStaging = true;
      throw new ChunkBuildError({ ...described, stagingArea: failed });
    }

    // The commands are done: the dependency tree may serve as the base of the next stratum's.
    releaseTree();
    await createDeviceNodes(
      instDir,
      morphology.devices.map((d) => deviceFromSpec(d)),
    );
    await timing.stage('create-chunks', () =>
      assembleChunkArtifacts({
        destdir: instDir,
        workDir: area,
        artifacts: source.artifacts.map((a) => artifactPlan(source, a)),
        split: (path) => (path === '.' ? undefined : matchRule(source.splitRules, path)),
        systemIntegration: morphology['system-integration'],
        cache,
      }),
    );
    ctx.remote?.stored(
      cache,
      source.artifacts.map((a) => artifactRef(key, 'chunk', a.name)),
    );
    await moveFile(buildLog, cache.buildLogPath(key));
    await timing.write(cache.sourceMetaPath(key));
  } catch (err) {
    const errno = err as NodeJS.ErrnoException;
    if (errno?.code !== 'ENOSPC') throw err;
    // The staging area is removed below (never kept when the disk is full).
    throw new MorphError(
      'build',
      'no-space',
      `Building ${source.name} ran out of disk space: no space left on device writing ${errno.path ?? staging ?? settings.tempdir}; the staging area was removed.`,
      {
        cause: err,
        hint: 'free space there (morph gc removes old artifacts), or set tempdir/cachedir elsewhere',
      },
    );
  } finally {
    releaseTree();
    if (staging) await rm(logOf(staging), { force: true });
    if (staging && !keepStaging) await removeStaging(staging);
  }
}

/**
 * Where a chunk's commands see their sources, DESTDIR and (bootstrap and
 * test modes, on the host) their staged dependencies, in every mode.
 */
export function fixedBuildPaths(name: string): { build: string; inst: string; deps: string } {
  return { build: `/${name}.build`, inst: `/${name}.inst`, deps: `/${name}.deps` };
}

/** A chunk's staging area with its sources checked out, before its build. */
export interface ChunkSources {
  staging: string;
  /** `<staging>/<name>.build`: the sources. */
  buildDir: string;
  /** `<staging>/<name>.inst`: empty, for DESTDIR. */
  instDir: string;
}

/**
 * Makes a staging area and checks the chunk's sources out into it (ahead of
 * its build when `background`, at low priority); nothing is left on failure.
 * Remove an unused one with `removeChunkSources`.
 */
export async function extractChunkSources(
  app: BuildContext['app'],
  source: KeyedSource,
  options: { background?: boolean } = {},
): Promise<ChunkSources> {
  const staging = await createStagingArea(app.settings.tempdir);
  const sources = {
    staging,
    buildDir: join(staging, `${source.name}.build`),
    instDir: join(staging, `${source.name}.inst`),
  };
  try {
    await mkdir(sources.buildDir, { recursive: true });
    await mkdir(sources.instDir, { recursive: true });
    await chmod(sources.buildDir, 0o755);
    await chmod(sources.instDir, 0o755);
    await checkoutSource(app, source.repoName, source.commit, sources.buildDir, options);
    return sources;
  } catch (err) {
    await removeStaging(staging);
    throw err;
  }
}

/** Removes sources extracted for a build that did not take them. */
export function removeChunkSources(sources: ChunkSources): Promise<void> {
  return removeStaging(sources.staging);
}

/** Removes a staging area; read-only bits left by builds are no obstacle to root. */
async function removeStaging(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(async () => {
    await runCommand(['chmod', '-R', 'u+w', dir], { allowFailure: true });
    await rm(dir, { recursive: true, force: true });
  });
}
