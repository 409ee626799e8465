import type { ArtifactCache } from '../../cache/artifact-cache.js';
import type { StatusReporter } from '../../status/status-reporter.js';
import type { BuildApp } from '../graph/build-app.js';
import type { RemoteExecutor } from '../remote/remote-executor.js';
import type { DependencyTrees } from '../stage/dependency-trees.js';

/** What every source builder gets: the app, the cache and the system-wide build settings. */
export interface BuildContext {
  readonly app: BuildApp;
  readonly cache: ArtifactCache;
  /** The system's arch. */
  readonly arch: string;
  /** `baseBuildEnvironment` of that arch. */
  readonly env: Record<string, string>;
  /** Status lines of the source being built (`[N/M] name` prefix). */
  readonly status: StatusReporter;
  /** The shared read-only dependency trees of this build's chunk sandboxes. */
  readonly dependencyTrees: DependencyTrees;
  /** Runs `work` (a chunk's commands) when one of the build's max-jobs command slots is free. */
  readonly commandSlot: <T>(work: () => Promise<T>) => Promise<T>;
  /** Runs staging-mode chunks' commands on a remote engine (`--remote-execution`), when set. */
  readonly remote?: RemoteExecutor;
}
