/**
 * Steps that deploy or upgrade clusters with `morph deploy` / `morph upgrade`,
 * from the definitions checkout of a branch or from another directory.
 * `with options ...` is split into words like a shell would (so
 * `x.location="$DATADIR/test.tar"` works).
 */
import { join } from 'node:path';
import { step } from '../src/yarn/api.js';
import { shellWords } from './context.js';
import { definitionsCheckout, morphMode, runMorph } from './morph-runner.js';

export default [
  step(
    ['GIVEN', 'WHEN'],
    /the user (deploys|upgrades|attempts to deploy|attempts to upgrade) the (system|cluster) (\S+) in branch (\S+)( with options (.*))?/,
    'runs `morph deploy|upgrade MORPHOLOGY [OPTIONS...]` in the definitions checkout of BRANCH',
    async (ctx, verb, _kind, morphology, branch, _with, options) => {
      const args = [morphology, ...(await shellWords(ctx, options ?? ''))];
      await runMorph(ctx, morphMode(verb), subcommand(verb), args, definitionsCheckout(ctx, branch));
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /from directory (\S+) the user (deploys|upgrades|attempts to deploy|attempts to upgrade) the cluster (\S+) in branch (\S+)/,
    'runs `morph deploy|upgrade CLUSTER` with $DATADIR/DIR as the working directory',
    async (ctx, dir, verb, cluster, _branch) => {
      await runMorph(ctx, morphMode(verb), subcommand(verb), [cluster], ctx.path(dir));
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /from directory (\S+) the user (deploys|upgrades|attempts to deploy|attempts to upgrade) the cluster using the absolute path to (\S+) in branch (\S+)/,
    'runs `morph deploy|upgrade $DATADIR/DIR/CLUSTER` with $DATADIR/DIR as the working directory',
    async (ctx, dir, verb, cluster, _branch) => {
      const cwd = ctx.path(dir);
      await runMorph(ctx, morphMode(verb), subcommand(verb), [join(cwd, cluster)], cwd);
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the user (deploys|upgrades|attempts to deploy|attempts to upgrade) (\S+) from cluster (\S+) in branch (\S+)/,
    'runs `morph deploy|upgrade CLUSTER DEPLOYMENT` in the definitions checkout of BRANCH',
    async (ctx, verb, deployment, cluster, branch) => {
      await runMorph(
        ctx,
        morphMode(verb),
        subcommand(verb),
        [cluster, deployment],
        definitionsCheckout(ctx, branch),
      );
    },
  ),
];

function subcommand(verb: string): 'deploy' | 'upgrade' {
  return verb.includes('upgrade') ? 'upgrade' : 'deploy';
}
