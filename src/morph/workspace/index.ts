// editChunk (edit-chunk.ts) is not re-exported: it pulls in the definitions loader, which the
// lighter workspace commands (checkout, status, show-*) should not have to load.
export { fabricateCheckoutPath } from './checkout-path.js';
export { type CloneRequest, cloneToDirectory, hasGitIdentity } from './clone-to-directory.js';
export { type BranchCheckoutRequest, createBranchCheckout } from './create-branch-checkout.js';
export { createSystemBranch, removeSystemBranch } from './create-system-branch.js';
export { findWorkspace, locateWorkspace, type Workspace } from './find-workspace.js';
export { getGitConfig } from './git-config.js';
export {
  type Checkout,
  findSystemBranch,
  listSystemBranches,
  newUuid,
  SYSTEM_BRANCH_MARKER,
  SystemBranch,
} from './system-branch.js';
export { parseStatusZ, type StatusEntry, uncommittedChanges } from './uncommitted-changes.js';
