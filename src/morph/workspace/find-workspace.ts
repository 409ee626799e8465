import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MorphError } from '../errors.js';

/** A morph workspace: a directory holding the `.morph` marker (docs/spec/morph.md 3.1). */
export interface Workspace {
  /** Absolute path of the workspace root. */
  readonly root: string;
}

/** The workspace containing `dir` (walking up), or undefined. `dir` need not exist. */
export function locateWorkspace(dir: string): Workspace | undefined {
  let current = resolve(dir);
  for (;;) {
    if (isDirectory(join(current, '.morph'))) return { root: current };
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * The workspace containing `cwd` (an absolute, physical path), found by
 * walking up to a directory with a `.morph` directory (docs/spec/morph.md 3.2).
 * @throws MorphError workspace/not-in-workspace
 */
export function findWorkspace(cwd: string): Workspace {
  const workspace = locateWorkspace(cwd);
  if (!workspace) {
    throw new MorphError(
      'workspace',
      'not-in-workspace',
      `can't find the workspace directory: ${cwd} is not in a morph workspace`,
      {
        hint: 'create one with morph init, then morph checkout or morph branch inside it',
      },
    );
  }
  return workspace;
}

/** True when `path` is a directory (following symlinks). */
export function isDirectory(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}
