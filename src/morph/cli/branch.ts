import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { createBranchCheckout, findWorkspace } from '../workspace/index.js';
import { expectArguments } from './arguments.js';
import { warnWithoutGitIdentity } from './checkout.js';

export const usage = 'REPO NEW [OLD]';
export const help = 'Create a new system branch NEW from OLD (default master) of a definitions repository.';

/** `morph branch REPO NEW [OLD]` (docs/spec/morph.md 3.7). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('branch', args, 2, 3, 'a repository, a new branch name and optionally a base ref');
  const [repo, newBranch, oldBranch = 'master'] = args as [string, string, string?];
  await warnWithoutGitIdentity(app);
  const workspace = findWorkspace(app.cwd);
  await app.gitCache.getUpdatedRepo(repo);
  if (await app.gitCache.tryResolveRef(repo, newBranch)) {
    throw new MorphError(
      'workspace',
      'branch-exists',
      `branch ${newBranch} already exists in repository ${repo}`,
      {
        hint: `use morph checkout ${repo} ${newBranch}`,
      },
    );
  }
  await app.gitCache.resolveRef(repo, oldBranch);
  const created = await createBranchCheckout(app, workspace, {
    name: newBranch,
    repo,
    ref: oldBranch,
    localBranch: newBranch,
  });
  app.status.normal(`Created system branch ${newBranch} from ${oldBranch} in ${created.dir}`);
}
