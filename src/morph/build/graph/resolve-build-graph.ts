import { existsSync } from 'node:fs';
import { machine } from 'node:os';
import { computeCacheKey } from '../../cache/cache-key.js';
import { architectureFromMachine, canBuildArchitecture } from '../../definitions/architecture.js';
import { MorphError } from '../../errors.js';
import type { SystemMorphology } from '../../model.js';
import type { BuildApp } from './build-app.js';
import { baseBuildEnvironment, cacheKeyEnvironment } from './build-environment.js';
import { createBuildGraph } from './build-graph.js';
import { keyBuildGraph } from './cache-ids.js';
import type { KeyedBuildGraph } from './keyed-source.js';
import { type BuildRequest, type ResolvedDefinitions, resolveDefinitions } from './resolve-definitions.js';

/** A system build, resolved and keyed, ready to build or to look up. */
export interface ResolvedBuild {
  readonly graph: KeyedBuildGraph;
  readonly system: SystemMorphology;
  readonly arch: string;
  /** The build environment shared by all sources. */
  readonly env: Record<string, string>;
  /** Cache key of the system source. */
  readonly cacheKey: string;
  /** `<system>-rootfs`. */
  readonly artifactName: string;
}

/** Hooks into `resolveBuildGraph`. */
export interface ResolveBuildOptions {
  /** Skip the architecture check (deploy). */
  checkArchitecture?: boolean;
  arch?: string;
  /**
   * Called during resolution with each stratum whose closure is resolved,
   * as a keyed build of a system made of that stratum alone (its chunk and
   * stratum keys are those of the whole system), so that building can start
   * before the last chunk repo is cloned. Closures that do not make a valid
   * system on their own are skipped: the whole system reports the problem.
   */
  onPartial?: (build: ResolvedBuild) => void;
}

/**
 * Resolves a system (docs/spec/morph.md 5.3), builds and validates its graph (5.4,
 * 5.5) and computes every cache key (5.6). The architecture check is made
 * unless `checkArchitecture` is false (deploy skips it).
 * @throws MorphError build/cross-build (`Are you trying to cross-build?...`),
 *   plus those of resolveDefinitions and createBuildGraph.
 */
export async function resolveBuildGraph(
  app: BuildApp,
  request: BuildRequest,
  options: ResolveBuildOptions = {},
): Promise<ResolvedBuild> {
  const { onPartial } = options;
  const onClosure = onPartial
    ? (partial: ResolvedDefinitions): void => {
        let build: ResolvedBuild;
        try {
          build = keyedBuild(app, partial, options, false);
        } catch (err) {
          // A closure that is no valid system alone: the whole system reports it. Bugs propagate.
          if (err instanceof MorphError) return;
          throw err;
        }
        onPartial(build);
      }
    : undefined;
  const resolved = await resolveDefinitions(app, request, { onClosure });
  return keyedBuild(app, resolved, options, true);
}

/** The graph of resolved definitions, checked and keyed; `report` prints its warnings. */
function keyedBuild(
  app: BuildApp,
  resolved: ResolvedDefinitions,
  options: ResolveBuildOptions,
  report: boolean,
): ResolvedBuild {
  const unkeyed = createBuildGraph(resolved);
  if (report) for (const warning of unkeyed.warnings) app.status.error(`WARNING: ${warning}`);
  const system = resolved.system;
  if (options.checkArchitecture ?? true) {
    const host = architectureFromMachine(machine(), false);
    if (!canBuildArchitecture(host, system.arch)) {
      throw new MorphError(
        'build',
        'cross-build',
        `Are you trying to cross-build? Host architecture is ${host} but target is ${system.arch}`,
      );
    }
  }
  const arch = options.arch ?? system.arch;
  const env = baseBuildEnvironment({
    arch,
    noCcache: app.settings['no-ccache'],
    noDistcc: app.settings['no-distcc'],
    hostEnv: process.env,
    existingFiles: existsSync,
  });
  const graph = keyBuildGraph(unkeyed, cacheKeyEnvironment(env), computeCacheKey);
  return {
    graph,
    system,
    arch,
    env,
    cacheKey: graph.root.source.cacheKey,
    artifactName: graph.root.name,
  };
}
