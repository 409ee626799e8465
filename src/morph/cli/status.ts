import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { gitText } from '../sources/git-output.js';
import {
  findSystemBranch,
  findWorkspace,
  listSystemBranches,
  type SystemBranch,
  uncommittedChanges,
} from '../workspace/index.js';
import { expectArguments } from './arguments.js';

export const usage = '';
export const help =
  'Show the state of the checkouts of the current system branch (or the branches of the workspace).';

/** `morph status` (docs/spec/morph.md 3.10). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('status', args, 0, 0, 'no arguments');
  const workspace = findWorkspace(app.cwd);
  let branch: SystemBranch;
  try {
    branch = await findSystemBranch(app.cwd);
  } catch (err) {
    if (!(err instanceof MorphError && err.reason === 'not-in-system-branch')) throw err;
    app.out('System branches in current workspace:\n');
    for (const b of await listSystemBranches(workspace.root)) app.out(`    ${b.name}\n`);
    return;
  }
  app.out(`On branch ${branch.name}, root ${branch.rootRepo}\n`);
  let anyChanges = false;
  for (const checkout of await branch.checkouts()) {
    if (checkout.repo === undefined) {
      app.out(`    ${checkout.dir}: not part of system branch\n`);
      continue;
    }
    const head = (await gitText(checkout.dir, ['rev-parse', '--abbrev-ref', 'HEAD'])) ?? 'HEAD';
    if (head !== branch.name) app.out(`    ${checkout.repo}: unexpected ref checked out '${head}'\n`);
    if ((await uncommittedChanges(checkout.dir)).length > 0) {
      anyChanges = true;
      app.out(`    ${checkout.repo}: uncommitted changes\n`);
    }
  }
  if (!anyChanges) app.out('\nNo repos have outstanding changes.\n');
}
