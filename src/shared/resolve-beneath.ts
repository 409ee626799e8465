/**
 * Resolving a path inside a directory tree with `openat2(RESOLVE_BENEATH)`
 * semantics, component by component with `lstat`: `..` may not climb above
 * the tree, and a symlink is followed only when its target stays inside it
 * (an absolute target always escapes). Used wherever morph writes into a
 * tree it does not trust (a parent system's tree, an install-files
 * manifest's destinations).
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from './app-error.js';

/** Symlinks followed at most in one resolution (Linux's MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

/** Thrown when a path leaves its tree; `code` is `path/escapes-tree`. */
export class PathEscapeError extends AppError {
  /** The path as given. */
  readonly path: string;
  /** What takes it out (`/escape is a symbolic link to ...`). */
  readonly why: string;

  constructor(path: string, why: string) {
    super('path/escapes-tree', `${path} leaves the tree: ${why}`);
    this.path = path;
    this.why = why;
  }
}

/**
 * The real path of `path` inside `root`, as the kernel would resolve it
 * beneath `root`: a leading `/` means the top of the tree; components that
 * do not exist yet are kept as written. With `followFinal: false` a
 * symlink in the last component is not followed (the caller replaces it).
 * @returns an absolute path under `root` (`root` itself for `''` or `/`).
 * @throws PathEscapeError when `..`, a symlink or an absolute symlink
 *   target would leave the tree, or symlinks loop.
 */
export function resolveBeneath(root: string, path: string, options: { followFinal?: boolean } = {}): string {
  const followFinal = options.followFinal ?? true;
  const pending = split(path);
  const resolved: string[] = [];
  let links = 0;
  let exists = true;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) throw new PathEscapeError(path, '".." climbs above its top');
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const stats = exists ? lstatOrUndefined(candidate) : undefined;
    if (stats === undefined) exists = false;
    if (stats?.isSymbolicLink() && (followFinal || pending.length > 0)) {
      if (++links > MAX_SYMLINKS) throw new PathEscapeError(path, 'too many levels of symbolic links');
      const target = readlinkSync(candidate);
      const where = `/${[...resolved, part].join('/')}`;
      if (target.startsWith('/')) {
        throw new PathEscapeError(path, `${where} is a symbolic link to the absolute path ${target}`);
      }
      pending.unshift(...split(target));
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}

function split(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

/**
 * `lstat(path)`, or undefined when nothing is there (ENOENT, or ENOTDIR: a
 * file in the way, so nothing beneath it exists).
 * @throws anything else (EACCES: what cannot be seen may be a symlink out of the tree).
 */
function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
