import { MorphError } from '../errors.js';
import type { ClusterMorphology, ClusterSystemSpec } from '../model.js';

/** The command line after the cluster, split (docs/spec/morph.md 6.1 step 4). */
export interface DeployArguments {
  /** Top-level deployment names to deploy; empty = all. */
  filter: string[];
  /** `DEPLOYMENT.KEY=VALUE` overrides, as given. */
  overrides: string[];
}

/** Deployment names of `entries`' own `deploy` mappings. */
export function deploymentNames(entries: readonly ClusterSystemSpec[]): string[] {
  return entries.flatMap((entry) => Object.keys(entry.deploy ?? {}));
}

/** Deployment names of every subsystem, at any depth. */
export function subsystemDeploymentNames(entries: readonly ClusterSystemSpec[]): string[] {
  return entries.flatMap((entry) => {
    const subsystems = entry.subsystems ?? [];
    return [...deploymentNames(subsystems), ...subsystemDeploymentNames(subsystems)];
  });
}

/**
 * Splits the arguments after the cluster: leading top-level deployment names
 * form the filter, the rest must be `DEPLOYMENT.KEY=VALUE` overrides naming
 * a deployment of the cluster (any depth).
 * @throws MorphError `deploy/cannot-deploy-subsystem` for a subsystem's name,
 *   `deploy/unknown-deployment` for any other non-override or an override
 *   naming no deployment.
 */
export function splitDeployArguments(cluster: ClusterMorphology, args: readonly string[]): DeployArguments {
  const topLevel = new Set(deploymentNames(cluster.systems));
  const nested = new Set(subsystemDeploymentNames(cluster.systems));
  const all = [...topLevel, ...nested];
  let count = 0;
  while (count < args.length && topLevel.has(args[count]!)) count++;
  const filter = args.slice(0, count);
  const overrides = args.slice(count);
  for (const arg of overrides) {
    if (nested.has(arg)) {
      throw new MorphError(
        'deploy',
        'cannot-deploy-subsystem',
        `Cannot directly deploy subsystems. Create a top level deployment for the subsystem ${arg} instead.`,
      );
    }
    const equals = arg.indexOf('=');
    if (equals < 0) {
      throw new MorphError(
        'deploy',
        'unknown-deployment',
        `Cluster ${cluster.name} has no deployment called ${arg}`,
        {
          hint: `deployments: ${[...topLevel].join(', ')}; overrides are written DEPLOYMENT.KEY=VALUE`,
        },
      );
    }
    const name = arg.slice(0, equals);
    if (!all.some((deployment) => name.startsWith(`${deployment}.`) && name.length > deployment.length + 1)) {
      throw new MorphError(
        'deploy',
        'unknown-deployment',
        `Variable referenced a non-existent deployment name: ${arg}`,
        {
          hint: `deployments: ${all.join(', ')}`,
        },
      );
    }
  }
  return { filter, overrides };
}
