import { quoteArg } from '../../shared/exec.js';
import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { findSystemBranch, findWorkspace } from '../workspace/index.js';
import { expectArguments } from './arguments.js';

export const usage = '-- COMMAND [ARGS...]';
export const help = 'Run a command in each repository checked out in the current system branch.';

/** `morph foreach -- COMMAND [ARGS...]` (docs/spec/morph.md 3.11). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('foreach', args, 1, Number.POSITIVE_INFINITY, 'a command to run');
  findWorkspace(app.cwd);
  const branch = await findSystemBranch(app.cwd);
  for (const checkout of await branch.checkouts()) {
    if (checkout.repo === undefined) continue;
    app.out(`${checkout.repo}\n`);
    const result = await app.runApp(args, { cwd: checkout.dir, allowFailure: true });
    app.out(result.stdout);
    if (result.exitCode !== 0) {
      app.out(result.stderr);
      throw new MorphError(
        'workspace',
        'foreach-failed',
        `command failed at repo ${checkout.repo}: ${args.map(quoteArg).join(' ')}`,
      );
    }
    app.out('\n');
  }
}
