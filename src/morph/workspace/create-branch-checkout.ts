import type { App } from '../app.js';
import { fabricateCheckoutPath } from './checkout-path.js';
import { cloneToDirectory } from './clone-to-directory.js';
import { createSystemBranch, removeSystemBranch } from './create-system-branch.js';
import type { Workspace } from './find-workspace.js';
import type { SystemBranch } from './system-branch.js';

/** A new system branch with its root repo checked out. */
export interface BranchCheckoutRequest {
  /** System branch name: the directory `<ws>/<name>` and `branch.name`. */
  readonly name: string;
  /** The root (definitions) repo as typed; must already be in the git cache. */
  readonly repo: string;
  /** What to clone: branch, tag or SHA. */
  readonly ref: string;
  /** Create and check out this local branch at `ref` (branch, branch-from-image). */
  readonly localBranch?: string;
}

/**
 * Creates `<ws>/<name>` with its system branch config and clones the root
 * repo into it (docs/spec/morph.md 3.6 steps 4-6, 3.7, 3.8 step 3). On any failure
 * after the directory was made, it is removed with its now-empty parents.
 * @throws MorphError workspace/file-exists (directory left untouched), or what the clone throws
 */
export async function createBranchCheckout(
  app: App,
  workspace: Workspace,
  request: BranchCheckoutRequest,
): Promise<SystemBranch> {
  const branch = await createSystemBranch(workspace, request.name, request.repo);
  try {
    await cloneToDirectory(app, {
      repo: request.repo,
      ref: request.ref,
      dir: fabricateCheckoutPath(branch.dir, request.repo),
      localBranch: request.localBranch,
    });
    return branch;
  } catch (err) {
    await removeSystemBranch(workspace, branch.dir);
    throw err;
  }
}
