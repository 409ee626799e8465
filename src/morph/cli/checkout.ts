import type { App } from '../app.js';
import { createBranchCheckout, findWorkspace, hasGitIdentity } from '../workspace/index.js';
import { expectArguments } from './arguments.js';

export const usage = 'REPO BRANCH';
export const help = 'Check out an existing system branch of a definitions repository into the workspace.';

/** `morph checkout REPO BRANCH` (docs/spec/morph.md 3.6). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('checkout', args, 2, 2, 'a repository and a branch');
  const [repo, branch] = args as [string, string];
  await warnWithoutGitIdentity(app);
  const workspace = findWorkspace(app.cwd);
  await app.gitCache.getUpdatedRepo(repo);
  await app.gitCache.resolveRef(repo, branch);
  const created = await createBranchCheckout(app, workspace, { name: branch, repo, ref: branch });
  app.status.normal(`Checked out ${repo} ${branch} in ${created.dir}`);
}

/** Warns (an error-class status line, not fatal) when git has no user.name or user.email. */
export async function warnWithoutGitIdentity(app: App): Promise<void> {
  if (!(await hasGitIdentity(app.cwd))) {
    app.status.error('WARNING: git user.name or user.email is not set; set them with git config --global');
  }
}
