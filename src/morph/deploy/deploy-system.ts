import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../shared/atomic-file.js';
import { secretMask } from '../../shared/secret-mask.js';
import { formatMetadata } from '../build/assemble/metadata-record.js';
import { clampMtimes, SOURCE_DATE_EPOCH } from '../build/graph/hermetic.js';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { MorphError } from '../errors.js';
import { deployLayerEnvironment, isDeployLayerVariable } from '../extensions/deploy-layers.js';
import type { ClusterSystemSpec } from '../model.js';
import type { DeploySession, ResolvedSystem } from './deploy-session.js';
import { createDeployTree, type SharedLower } from './deploy-tree.js';
import { deploymentEnvironment } from './deployment-environment.js';
import { deploymentMetadata } from './deployment-metadata.js';
import { findExtension, runExtension } from './extension-runner.js';
import { recordOutputLocation } from './leftovers.js';
import { joinNestedLocation } from './nested-location.js';
import { sharedCheckoutsDir } from './shared-checkout.js';

/**
 * Deploys one cluster entry and, inside each of its trees, its subsystems
 * (docs/spec/morph.md 6.2). `parentTree` is undefined at the top level; `filter` lists
 * the deployment names to make (empty: all).
 * @throws MorphError from the extensions, the environment rules, or
 *   `build/not-built`; mounts and temp dirs are removed first.
 */
export async function deploySystem(
  session: DeploySession,
  entry: ClusterSystemSpec,
  parentTree: string | undefined,
  filter: readonly string[],
): Promise<void> {
  const names = Object.keys(entry.deploy ?? {}).filter(
    (name) => filter.length === 0 || filter.includes(name),
  );
  if (names.length === 0) return;
  const system = await session.resolveSystem(entry.morph);
  for (const name of names) {
    const status = session.status.withPrefix(`[${entry.morph}][${name}] `);
    const deployment = deploymentEnvironment({
      name,
      defaults: entry['deploy-defaults'] ?? {},
      parameters: entry.deploy[name] ?? {},
      processEnv: process.env,
      overrides: session.overrides,
      deploymentNames: session.deploymentNames,
      upgrade: session.upgrade,
    });
    const { type, location } = deployment;
    secretMask.addSecretsOf(deployment.own);
    // The deploy tree's layers are morph's to tell the write extension, never configuration.
    const env = Object.fromEntries(
      Object.entries(deployment.env).filter(([key]) => !isDeployLayerVariable(key)),
    );
    // Extensions may honour SOURCE_DATE_EPOCH (tar.write, initramfs.write do) and
    // MORPH_UUID_SEED (rawdisk, UUID_FROM=artifact); neither is configuration.
    const extensionEnv = { ...env, ...DEPLOY_EPOCH, ...(await uuidSeed(env, system, name)) };
    const run = { env: extensionEnv, rootDir: session.rootDir, scratchDir: session.tempDir, status };
    // Fail before anything is checked out when the write extension does not exist.
    if (!(await findExtension(session.rootDir, type, 'write'))) {
      throw new MorphError('extension', 'not-found', `Could not find extension ${type}.write for ${name}`, {
        hint: `deployment type ${type} needs ${type}.write in the definitions repository or among the built-ins`,
      });
    }
    // Nested checks get the location as written (docs/spec/morph.md quirk 11).
    await runExtension(session.app, { ...run, name: type, kind: 'check', args: [location] });

    status.normal(`Checking out ${system.artifactName} for configuration`);
    const tree = await createDeployTree(session.app, {
      parentDir: session.tempDir,
      label: system.artifactName,
      cleanup: session.cleanup,
      populate: (dir, options) => system.checkout(dir, options),
      shared: await sharedLower(session, system),
    });
    try {
      status.chatty(`System checked out at ${tree.path}`);
      status.normal('Writing deployment metadata file');
      await mkdir(join(tree.path, 'baserock'), { recursive: true });
      const metadata = deploymentMetadata({
        artifactName: system.artifactName,
        variables: Object.fromEntries(
          Object.entries(deployment.own).filter(([key]) => !isDeployLayerVariable(key)),
        ),
        type,
        location,
        describe: session.definitionsVersion,
      });
      await writeFileAtomic(join(tree.path, 'baserock', 'deployment.meta'), formatMetadata(metadata));

      for (const subsystem of entry.subsystems ?? []) {
        await deploySystem({ ...session, status }, subsystem, tree.path, []);
      }

      const target = parentTree === undefined ? location : joinNestedLocation(parentTree, location);
      const privateTemp = await mkdtemp(join(session.tempDir, 'tmp-'));
      try {
        // Where a SIGKILL may leave the write extension's partial output (leftovers.ts).
        if (parentTree === undefined)
          await recordOutputLocation(privateTemp, resolve(session.rootDir, target));
        const withTemp = { ...run, env: { ...run.env, TMPDIR: privateTemp } };
        for (const extension of system.morphology['configuration-extensions'] ?? []) {
          status.normal(`Running configuration extension ${extension}`);
          await runExtension(session.app, {
            ...withTemp,
            name: extension,
            kind: 'configure',
            args: [tree.path],
          });
        }
        // What the deployment and its extensions wrote is dated no later than the artifact's files.
        clampMtimes(tree.path);
        status.normal(`Writing ${type} deployment to ${target}`);
        const layers = tree.layers ? deployLayerEnvironment(tree.layers) : {};
        await runExtension(session.app, {
          ...withTemp,
          env: { ...withTemp.env, ...layers },
          name: type,
          kind: 'write',
          args: [tree.path, target],
        });
      } finally {
        await rm(privateTemp, { recursive: true, force: true });
      }
      status.normal(`Deployed ${name} (${type}) at ${location}`);
    } finally {
      tree.dispose();
    }
  }
}

/** The shared checkout a deploy tree of `system` may use, if its revision is known. */
async function sharedLower(session: DeploySession, system: ResolvedSystem): Promise<SharedLower | undefined> {
  const revision = await system.revision();
  if (revision === undefined) return undefined;
  const cachedir = session.app.settings.cachedir;
  const repo = (await ArtifactCache.open(cachedir)).repoPath;
  return { dir: sharedCheckoutsDir(cachedir), revision, repo };
}

/** The time deployments are dated: the builds' SOURCE_DATE_EPOCH. */
const DEPLOY_EPOCH = { SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH) };

/**
 * `MORPH_UUID_SEED` for the extensions when the deployment has
 * `UUID_FROM=artifact`: SHA-256 of the system artifact's checksum and the
 * deployment's name, from which rawdisk derives every UUID (derived-ids.ts).
 * @throws MorphError deploy/no-artifact-checksum when the artifact's commit is unknown.
 */
async function uuidSeed(
  env: Readonly<Record<string, string>>,
  system: ResolvedSystem,
  name: string,
): Promise<Record<string, string>> {
  if (env.UUID_FROM !== 'artifact') return {};
  const revision = await system.revision();
  if (revision === undefined) {
    throw new MorphError(
      'deploy',
      'no-artifact-checksum',
      `UUID_FROM=artifact: the commit of ${system.artifactName} is unknown`,
      {
        hint: 'build the system first, or leave UUID_FROM unset for random UUIDs',
      },
    );
  }
  return { MORPH_UUID_SEED: createHash('sha256').update(`${revision}\n${name}`).digest('hex') };
}
