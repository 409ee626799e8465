/**
 * Applies a deployment's own changes, the upper directory of its overlay
 * deploy tree, onto a copy of the lower layer (the `orig` subvolume of a
 * pristine image), so that the copy ends up equal to the merged tree.
 *
 * Whiteouts and opaque directories are never read (their `trusted.overlay.*`
 * encoding differs between kernels): for every directory present in the
 * upper layer, the entries of the copy that the merged tree no longer has
 * are removed; then every non-directory entry of the upper layer, every
 * directory the copy does not have as a directory, and the directories
 * themselves (for their mode, owner, times and xattrs) are copied from the
 * merged tree, with one `rsync` so that hard links among them are kept
 * (symlinks, fifos, sockets and device nodes with `cp -a`, which keeps
 * their times).
 * Directories present in both are walked the same way. This needs an
 * overlay without `redirect_dir` and `metacopy` (deploy-layers.ts).
 */
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExtensionContext, runTool } from '../api.js';

/** What applying the upper layer changed. */
export interface UpperLayerChanges {
  /** Paths copied from the merged tree (relative, `.` for the top). */
  copied: string[];
  /** The symlinks, fifos, sockets and device nodes among them (rsync would not keep their times). */
  special: string[];
  /** Paths removed from the copy. */
  removed: string[];
}

const names = (dir: string): Promise<string[]> => readdir(dir);
const entries = (dir: string): Promise<Dirent[]> => readdir(dir, { withFileTypes: true });

/**
 * Removes from `copy` (a copy of the overlay's lower layer) what `merged`,
 * the overlay whose upper directory is `upper`, no longer has, and lists
 * what must be copied from `merged` to make the two equal. Only reads
 * `merged` and `upper`.
 */
export async function prepareUpperLayer(
  merged: string,
  upper: string,
  copy: string,
): Promise<UpperLayerChanges> {
  const changes: UpperLayerChanges = { copied: [], special: [], removed: [] };
  const remove = async (rel: string) => {
    await rm(join(copy, rel), { recursive: true, force: true });
    changes.removed.push(rel);
  };
  const note = (rel: string, info: Stats) => {
    changes.copied.push(rel);
    if (!info.isFile() && !info.isDirectory()) changes.special.push(rel);
  };
  const addSubtree = async (rel: string): Promise<void> => {
    const info = await lstat(join(merged, rel));
    note(rel, info);
    if (!info.isDirectory()) return;
    for (const name of await names(join(merged, rel))) await addSubtree(`${rel}/${name}`);
  };
  const walk = async (rel: string): Promise<void> => {
    const here = (name: string) => (rel === '.' ? name : `${rel}/${name}`);
    const [upperEntries, mergedNames, copyNames] = await Promise.all([
      entries(join(upper, rel)),
      names(join(merged, rel)),
      names(join(copy, rel)),
    ]);
    const inMerged = new Set(mergedNames);
    const inCopy = new Set(copyNames);
    for (const name of copyNames) if (!inMerged.has(name)) await remove(here(name));
    changes.copied.push(rel);
    // Upper entries missing from the merged tree are whiteouts. Merged entries
    // missing from the copy can only come from the upper layer, but are
    // copied whatever their origin.
    const candidates = new Set(upperEntries.map((e) => e.name).filter((name) => inMerged.has(name)));
    for (const name of mergedNames) if (!inCopy.has(name)) candidates.add(name);
    for (const name of [...candidates].sort()) {
      const path = here(name);
      const [source, target] = await Promise.all([
        lstat(join(merged, path)),
        inCopy.has(name) && inMerged.has(name) ? lstat(join(copy, path)) : undefined,
      ]);
      if (source.isDirectory() && target?.isDirectory()) {
        await walk(path);
      } else if (source.isDirectory()) {
        if (target !== undefined) await remove(path);
        await addSubtree(path);
      } else {
        // rsync replaces files, but not a directory by a file.
        if (target?.isDirectory()) await remove(path);
        note(path, source);
      }
    }
  };
  await walk('.');
  return changes;
}

/**
 * Makes `copy` equal to `merged` (see the module comment).
 * @throws ExtensionError `command-failed` when rsync fails.
 */
export async function applyUpperLayer(
  ctx: ExtensionContext,
  layers: { merged: string; upper: string },
  copy: string,
): Promise<UpperLayerChanges> {
  const changes = await prepareUpperLayer(layers.merged, layers.upper, copy);
  const special = new Set(changes.special);
  if (special.size > 0) {
    // First, as rsync then sets the times of their directories: cp -a keeps
    // their own times (rsync does not), and in one call their hard links too.
    await runTool(ctx, ['cp', '-a', '--remove-destination', '--parents', '-t', copy, '--', ...special], {
      cwd: layers.merged,
    });
  }
  // --files-from: exactly these paths, no recursion (-a does not imply -r
  // with it); -I: copy even where size and mtime match; -HAX: hard links
  // among them, ACLs, xattrs, as cp -a keeps them; --modify-window=-1:
  // times equal to the nanosecond (by default rsync leaves a directory's
  // time alone when only its fraction of a second differs).
  await runTool(
    ctx,
    [
      'rsync',
      '-aHAX',
      '-I',
      '--numeric-ids',
      '--modify-window=-1',
      '--from0',
      '--files-from=-',
      `${layers.merged}/`,
      `${copy}/`,
    ],
    { input: `${changes.copied.filter((path) => !special.has(path)).join('\0')}\0` },
  );
  ctx.log(`applied the upper layer: ${changes.copied.length} copied, ${changes.removed.length} removed`);
  return changes;
}
