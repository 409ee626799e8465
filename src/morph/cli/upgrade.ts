import type { App } from '../app.js';
import { deployCluster } from '../deploy/deploy-cluster.js';
import { createSystemResolver } from '../deploy/system-resolver.js';
import { MorphError } from '../errors.js';
import { expectArguments } from './arguments.js';

export const usage = 'CLUSTER [DEPLOYMENT...] [DEPLOYMENT.KEY=VALUE...]';
export const help = 'Upgrade existing deployments of a cluster morphology (UPGRADE=yes for the extensions).';

/** `morph upgrade` (docs/spec/morph.md 6.1): deploy with `UPGRADE=yes`. */
export async function run(app: App, args: string[]): Promise<void> {
  if (app.settings.upgrade) {
    throw new MorphError('cli', 'usage', 'Running `morph upgrade --upgrade` does not make sense.', {
      hint: 'morph upgrade always upgrades; drop --upgrade',
    });
  }
  expectArguments('upgrade', args, 1, Number.POSITIVE_INFINITY, 'a cluster morphology');
  const [cluster, ...rest] = args as [string, ...string[]];
  await deployCluster(app, { cluster, args: rest, upgrade: true }, createSystemResolver);
}
