import type { App } from '../app.js';
import { deployCluster } from '../deploy/deploy-cluster.js';
import { createSystemResolver } from '../deploy/system-resolver.js';
import { expectArguments } from './arguments.js';

export const usage = 'CLUSTER [DEPLOYMENT...] [DEPLOYMENT.KEY=VALUE...]';
export const help = 'Deploy the systems of a cluster morphology (all, or the named deployments).';

/** `morph deploy` (docs/spec/morph.md 6.1); `--upgrade` is the deprecated spelling of `morph upgrade`. */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('deploy', args, 1, Number.POSITIVE_INFINITY, 'a cluster morphology');
  const [cluster, ...rest] = args as [string, ...string[]];
  await deployCluster(app, { cluster, args: rest, upgrade: app.settings.upgrade }, createSystemResolver);
}
