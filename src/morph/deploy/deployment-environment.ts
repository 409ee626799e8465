import { MorphError } from '../errors.js';
import type { DeploymentParameters } from '../model.js';

/** The environment of one deployment and its two special parameters (docs/spec/morph.md 6.2a). */
export interface DeploymentEnvironment {
  /** Every variable extensions see (the whole morph environment included), `UPGRADE` set. */
  env: Record<string, string>;
  /**
   * The deployment's own variables: those the cluster morphology and the
   * command line set, and `UPGRADE`, with the values the deployment uses
   * (never a variable only morph's inherited environment has).
   */
  own: Record<string, string>;
  type: string;
  location: string;
}

/** A parameter value as the original (Python) stringified it: `True`, `False`, `None`. */
export function stringifyParameter(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Builds a deployment's environment: deploy-defaults < the deployment's
 * parameters < morph's own environment < command-line overrides
 * (`NAME.KEY=VALUE` whose NAME is this deployment).
 * @throws MorphError `deploy/already-set` when an override names a variable
 *   of morph's environment; `deploy/missing-type` / `deploy/missing-location`.
 */
export function deploymentEnvironment(options: {
  name: string;
  defaults: DeploymentParameters;
  parameters: DeploymentParameters;
  processEnv: Readonly<Record<string, string | undefined>>;
  overrides: readonly string[];
  upgrade: boolean;
  /**
   * Every deployment name of the cluster: an override belongs to the longest
   * name it starts with, so `a.b.X=1` goes to deployment `a.b`, not to `a`.
   */
  deploymentNames?: readonly string[];
}): DeploymentEnvironment {
  const merged: Record<string, string> = {};
  const ownKeys = new Set<string>(['UPGRADE']);
  for (const source of [options.defaults, options.parameters]) {
    for (const [key, value] of Object.entries(source ?? {})) {
      merged[key] = stringifyParameter(value);
      ownKeys.add(key);
    }
  }
  for (const [key, value] of Object.entries(options.processEnv)) {
    if (value !== undefined) merged[key] = value;
  }
  const prefix = `${options.name}.`;
  const longer = (options.deploymentNames ?? []).filter(
    (other) => other.length > options.name.length && other.startsWith(prefix),
  );
  for (const arg of options.overrides) {
    if (!arg.startsWith(prefix) || longer.some((other) => arg.startsWith(`${other}.`))) continue;
    const assignment = arg.slice(prefix.length);
    const equals = assignment.indexOf('=');
    if (equals <= 0) continue;
    const key = assignment.slice(0, equals);
    if (options.processEnv[key] !== undefined) {
      throw new MorphError(
        'deploy',
        'already-set',
        `Cannot set ${key} for ${options.name}: ${key} is already set in the environment`,
        {
          hint: `unset ${key} in the environment, or set it there instead`,
        },
      );
    }
    merged[key] = assignment.slice(equals + 1);
    ownKeys.add(key);
  }
  merged.UPGRADE = options.upgrade ? 'yes' : 'no';
  const type = merged.type;
  const location = merged.location;
  delete merged.type;
  delete merged.location;
  if (!type || type === 'None') {
    throw new MorphError('deploy', 'missing-type', `type is undefined for system "${options.name}"`, {
      hint: `set ${options.name}.type in the cluster or on the command line`,
    });
  }
  if (!location || location === 'None') {
    throw new MorphError('deploy', 'missing-location', `location is undefined for system "${options.name}"`, {
      hint: `set it in the cluster or pass ${options.name}.location=... on the command line`,
    });
  }
  const own = Object.fromEntries(
    [...ownKeys].filter((key) => key in merged).map((key) => [key, merged[key]!]),
  );
  return { env: merged, own, type, location };
}
