import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MorphError } from '../errors.js';
import type { ClusterMorphology } from '../model.js';
import { deploymentEnvironment } from './deployment-environment.js';

/** Built-in deployment types whose location is a file to create on the host. */
const FILE_TYPES = new Set(['tar', 'rawdisk', 'initramfs']);

/**
 * Checks, before anything is resolved or checked out, that the folder of
 * every selected top-level tar, rawdisk and initramfs location exists
 * (relative locations are taken from `rootDir`, where the write extensions run).
 * @throws MorphError deploy/no-output-folder, and those of deploymentEnvironment.
 */
export function checkOutputFolders(
  cluster: ClusterMorphology,
  options: {
    rootDir: string;
    filter: readonly string[];
    overrides: readonly string[];
    deploymentNames: readonly string[];
    upgrade: boolean;
  },
): void {
  if (options.upgrade) return;
  for (const entry of cluster.systems) {
    for (const [name, parameters] of Object.entries(entry.deploy ?? {})) {
      if (options.filter.length > 0 && !options.filter.includes(name)) continue;
      const { type, location } = deploymentEnvironment({
        name,
        defaults: entry['deploy-defaults'] ?? {},
        parameters: parameters ?? {},
        processEnv: process.env,
        overrides: options.overrides,
        deploymentNames: options.deploymentNames,
        upgrade: false,
      });
      if (!FILE_TYPES.has(type)) continue;
      const folder = dirname(resolve(options.rootDir, location));
      if (!existsSync(folder)) {
        throw new MorphError(
          'deploy',
          'no-output-folder',
          `deployment ${name}: location ${location}: folder ${folder} does not exist`,
          { hint: `create it first (mkdir -p ${folder}) or give ${name}.location=PATH` },
        );
      }
    }
  }
}
