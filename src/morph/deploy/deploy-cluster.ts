import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CleanupStack } from '../../shared/cleanup-stack.js';
import { ownedPrefix } from '../../shared/owned-name.js';
import type { App } from '../app.js';
import { normaliseMorphologyPath } from '../build/graph/morphology-path.js';
import { loadMorphology } from '../definitions/index.js';
import { MorphError } from '../errors.js';
import type { ClusterMorphology } from '../model.js';
import { findSystemBranch } from '../workspace/index.js';
import { deploymentNames, splitDeployArguments, subsystemDeploymentNames } from './deploy-arguments.js';
import type { SystemResolver } from './deploy-session.js';
import { deploySystem } from './deploy-system.js';
import { checkOutputFolders } from './output-folders.js';

/** What `morph deploy` / `morph upgrade` were asked to do. */
export interface DeployRequest {
  /** The cluster as typed (relative to cwd, or absolute). */
  cluster: string;
  /** Deployment names to deploy, then `NAME.KEY=VALUE` overrides. */
  args: readonly string[];
  upgrade: boolean;
}

/** Makes the resolver of the definitions commit to deploy (temporary build branch, docs/spec/morph.md 6.1 step 5). */
export type ResolverFactory = (app: App) => Promise<SystemResolver>;

/**
 * `morph deploy` (docs/spec/morph.md 6.1): loads the cluster from the root checkout's
 * working tree, splits the arguments, resolves the definitions commit, and
 * deploys every (selected) top-level entry in order, in a temporary
 * directory that is removed afterwards with every mount in it, whatever
 * happens (errors, Ctrl-C, process exit).
 * @throws MorphError `deploy/not-a-cluster`, `deploy/cannot-read-cluster`,
 *   plus those of splitDeployArguments, checkOutputFolders and deploySystem.
 */
export async function deployCluster(
  app: App,
  request: DeployRequest,
  makeResolver: ResolverFactory,
): Promise<void> {
  await app.checkFreeSpace();
  const branch = await findSystemBranch(app.cwd);
  const rootDir = await branch.rootCheckoutDir();
  const file = normaliseMorphologyPath(request.cluster, app.cwd, rootDir);
  const cluster = await loadCluster(rootDir, file);
  const { filter, overrides } = splitDeployArguments(cluster, request.args);
  const allNames = [...deploymentNames(cluster.systems), ...subsystemDeploymentNames(cluster.systems)];
  checkOutputFolders(cluster, {
    rootDir,
    filter,
    overrides,
    deploymentNames: allNames,
    upgrade: request.upgrade,
  });
  const resolveSystem = await makeResolver(app);
  const definitionsVersion = await describeDefinitions(app, rootDir);

  const cleanup = new CleanupStack();
  // A second Ctrl-C exits at once (cli/main.ts): undo mounts and temp dirs even then.
  const onExit = () => cleanup.unwind();
  process.on('exit', onExit);
  try {
    const tempDir = await mkdtemp(join(app.settings.tempdir, 'deployments', ownedPrefix('deploy-')));
    cleanup.push(`remove ${tempDir}`, () => removeTree(tempDir));
    const session = {
      app,
      rootDir,
      resolveSystem,
      overrides,
      deploymentNames: allNames,
      upgrade: request.upgrade,
      tempDir,
      cleanup,
      definitionsVersion,
      status: app.status,
    };
    for (const entry of cluster.systems) {
      if (app.signal.aborted) throw app.signal.reason;
      await deploySystem(session, entry, undefined, filter);
    }
    app.status.normal(`Finished deploying ${file}`);
  } finally {
    cleanup.unwind();
    process.off('exit', onExit);
    for (const failure of cleanup.failures) app.status.error(`WARNING: cleanup failed: ${failure}`);
  }
}

async function loadCluster(rootDir: string, file: string): Promise<ClusterMorphology> {
  let text: Buffer;
  try {
    text = await readFile(join(rootDir, file));
  } catch (cause) {
    throw new MorphError('deploy', 'cannot-read-cluster', `cannot read ${file} in ${rootDir}`, { cause });
  }
  const morphology = loadMorphology(text, file);
  if (morphology.kind !== 'cluster') {
    throw new MorphError(
      'deploy',
      'not-a-cluster',
      'Error: morph deployment commands are only supported for cluster morphologies.',
      { hint: `${file} is a ${morphology.kind} morphology` },
    );
  }
  return morphology;
}

async function describeDefinitions(app: App, rootDir: string): Promise<string> {
  const result = await app.runApp(['git', 'describe', '--always', '--dirty=-unreproducible'], {
    cwd: rootDir,
    allowFailure: true,
  });
  return result.exitCode === 0 ? result.stdout.trim() : 'unknown';
}

function removeTree(dir: string): void {
  // --one-file-system: never delete through a mount that failed to go away.
  spawnSync('rm', ['-rf', '--one-file-system', dir], { stdio: 'ignore' });
}
