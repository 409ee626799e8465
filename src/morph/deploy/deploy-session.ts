import type { CleanupStack } from '../../shared/cleanup-stack.js';
import type { App } from '../app.js';
import type { SystemMorphology } from '../model.js';
import type { StatusReporter } from '../status/status-reporter.js';

/** A system of the cluster, resolved the way a build would (docs/spec/morph.md 6.2 step 2). */
export interface ResolvedSystem {
  /** The system artifact's name, e.g. `test-system-rootfs`. */
  artifactName: string;
  cacheKey: string;
  morphology: SystemMorphology;
  /**
   * Checks the system artifact out into `dir` (created by the callee), with
   * its device nodes.
   * @throws MorphError `build/not-built` when no cache has it.
   */
  checkout(dir: string, options: { hardlink: boolean }): Promise<void>;
  /**
   * What identifies the checked-out content (the artifact's OSTree commit
   * and that of its device list), naming its shared checkout; undefined
   * when the local repository cannot tell.
   */
  revision(): Promise<string | undefined>;
}

/** Resolves a system morphology path of the definitions commit being deployed. */
export type SystemResolver = (file: string) => Promise<ResolvedSystem>;

/** Everything one `morph deploy` shares between the deployments it makes. */
export interface DeploySession {
  app: App;
  /** The root checkout: extension lookup and working directory. */
  rootDir: string;
  resolveSystem: SystemResolver;
  /** `NAME.KEY=VALUE` arguments. */
  overrides: readonly string[];
  /** Every deployment name of the cluster, subsystems included. */
  deploymentNames: readonly string[];
  upgrade: boolean;
  /** `mkdtemp(<tempdir>/deployments)`, removed at the end. */
  tempDir: string;
  /** Mounts and temp dirs to undo, also at process exit. */
  cleanup: CleanupStack;
  /** `git describe --always --dirty=-unreproducible` of the root checkout. */
  definitionsVersion: string;
  /** Status lines, prefixed per system and deployment. */
  status: StatusReporter;
}
