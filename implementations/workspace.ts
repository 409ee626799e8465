/**
 * Workspace and system-branch steps: `morph init`, `morph checkout`,
 * `morph branch-from-image`, and checking that a branch is checked out.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { check, step } from '../src/yarn/api.js';
import { runChecked } from './context.js';
import { ensureGitIdentity } from './fixture-repos.js';
import { definitionsCheckout, morphMode, runMorph } from './morph-runner.js';

export default [
  step('GIVEN', /a workspace/, 'runs `morph init $DATADIR/workspace`', async (ctx) => {
    await ensureGitIdentity(ctx);
    await runMorph(ctx, 'run', 'init', [ctx.path('workspace')]);
  }),
  step(
    ['GIVEN', 'WHEN'],
    /the user (checks|attempts to check) out the system branch called (\S+)/,
    'runs `morph checkout test:morphs BRANCH` in the workspace',
    async (ctx, verb, branch) => {
      await runMorph(ctx, morphMode(verb), 'checkout', ['test:morphs', branch], ctx.path('workspace'));
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the user (checks|attempts to check) out the system branch from (\S+) called (\S+)/,
    'runs `morph branch-from-image BRANCH --metadata-dir $DATADIR/DIR/baserock` in the workspace',
    async (ctx, verb, dir, branch) => {
      await runMorph(
        ctx,
        morphMode(verb),
        'branch-from-image',
        [branch, '--metadata-dir', ctx.path(dir, 'baserock')],
        ctx.path('workspace'),
      );
    },
  ),
  step(
    'THEN',
    /the system branch (\S+) is checked out/,
    'checks that workspace/BRANCH has its definitions checkout on branch BRANCH',
    async (ctx, branch) => {
      const branchDir = ctx.path('workspace', branch);
      check(
        await isDirectory(join(branchDir, '.morph-system-branch')),
        `${branchDir} is not a system branch`,
      );
      const checkout = definitionsCheckout(ctx, branch);
      check(await isDirectory(join(checkout, '.git')), `${checkout} is not a git checkout`);
      const head = (await runChecked(ctx, ['git', 'rev-parse', '--abbrev-ref', 'HEAD'], { cwd: checkout }))
        .stdout;
      check(head.trim() === branch, `${checkout} is on branch ${head.trim()}, not ${branch}`);
    },
  ),
];

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
