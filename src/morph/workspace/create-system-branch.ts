import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { MorphError } from '../errors.js';
import type { Workspace } from './find-workspace.js';
import { setGitConfigFile } from './git-config.js';
import { newUuid, SYSTEM_BRANCH_MARKER, SystemBranch } from './system-branch.js';

/**
 * Creates the system branch directory `<ws>/<name>` with its
 * `.morph-system-branch/config` (docs/spec/morph.md 3.6 step 4). Names may contain `/`.
 * @throws MorphError workspace/file-exists (`<dir>: File exists`) when the
 *   directory exists; it is then left untouched
 */
export async function createSystemBranch(
  workspace: Workspace,
  name: string,
  rootRepo: string,
): Promise<SystemBranch> {
  const dir = resolve(workspace.root, name);
  if (relative(workspace.root, dir).startsWith('..') || dir === workspace.root) {
    throw new MorphError('workspace', 'bad-branch-name', `invalid system branch name ${name}`);
  }
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new MorphError('workspace', 'file-exists', `${dir}: File exists`, {
        hint: `the system branch ${name} is already checked out in this workspace`,
      });
    }
    await removeEmptyParents(workspace, dirname(dir));
    throw new MorphError('workspace', 'cannot-create', `cannot create ${dir}`, { cause: err });
  }
  try {
    const branch = new SystemBranch(dir, { name, rootRepo, uuid: newUuid() });
    await mkdir(join(dir, SYSTEM_BRANCH_MARKER));
    await setGitConfigFile(branch.configFile, 'branch.name', name);
    await setGitConfigFile(branch.configFile, 'branch.root', rootRepo);
    await setGitConfigFile(branch.configFile, 'branch.uuid', branch.uuid);
    return branch;
  } catch (err) {
    await removeSystemBranch(workspace, dir);
    throw err;
  }
}

/**
 * Deletes a half-created system branch directory and every parent left
 * empty by that, up to (not including) the workspace root (docs/spec/morph.md 3.6 step 6).
 */
export async function removeSystemBranch(workspace: Workspace, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await removeEmptyParents(workspace, dirname(dir));
}

async function removeEmptyParents(workspace: Workspace, start: string): Promise<void> {
  let current = start;
  while (current !== workspace.root && !relative(workspace.root, current).startsWith('..')) {
    try {
      if ((await readdir(current)).length > 0) return;
      await rmdir(current);
    } catch {
      // Tidying after a failure that is being reported: a parent that cannot go stays.
      return;
    }
    current = dirname(current);
  }
}
