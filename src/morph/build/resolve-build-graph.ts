import { existsSync } from 'node:fs';
import { machine } from 'node:os';
import { computeCacheKey } from '../cache/cache-key.js';
import { architectureFromMachine, canBuildArchitecture } from '../definitions/architecture.js';
import { MorphError } from '../errors.js';
import type { SystemMorphology } from '../model.js';
import type { BuildApp } from './build-app.js';
import { baseBuildEnvironment, cacheKeyEnvironment } from './build-environment.js';
import { type BuildGraph, createBuildGraph } from './build-graph.js';
import { computeCacheKeys } from './cache-ids.js';
import { type BuildRequest, resolveDefinitions } from './resolve-definitions.js';

/** A system build, resolved and keyed, ready to build or to look up. */
export interface ResolvedBuild {
  readonly graph: BuildGraph;
  readonly system: SystemMorphology;
  readonly arch: string;
  /** The build environment shared by all sources. */
  readonly env: Record<string, string>;
  /** Cache key of the system source. */
  readonly cacheKey: string;
  /** `<system>-rootfs`. */
  readonly artifactName: string;
}

/**
 * Resolves a system (morph.md 5.3), builds and validates its graph (5.4,
 * 5.5) and computes every cache key (5.6). The architecture check is made
 * unless `checkArchitecture` is false (deploy skips it).
 * @throws MorphError build/cross-build (`Are you trying to cross-build?...`),
 *   plus those of resolveDefinitions and createBuildGraph.
 */
export async function resolveBuildGraph(
  app: BuildApp,
  request: BuildRequest,
  options: { checkArchitecture?: boolean; arch?: string } = {},
): Promise<ResolvedBuild> {
  const resolved = await resolveDefinitions(app, request);
  const graph = createBuildGraph(resolved);
  for (const warning of graph.warnings) app.status.error(`WARNING: ${warning}`);
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
  computeCacheKeys(graph, cacheKeyEnvironment(env), computeCacheKey);
  return {
    graph,
    system,
    arch,
    env,
    cacheKey: graph.root.source.cacheKey as string,
    artifactName: graph.root.name,
  };
}
