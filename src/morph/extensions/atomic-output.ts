/**
 * Outputs that appear at their location only when complete (issue 13): the
 * extension writes a partial file or directory beside the location, named
 * after its owner (`.<name>.morph-partial-p<pid>-<random>`), renamed into
 * place at the end. A failure, SIGINT or SIGTERM removes the partial; one
 * left by a SIGKILL is removed (with its loop devices) by the next write to
 * the same location, once its owner is dead.
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { CleanupStack } from '../../shared/cleanup-stack.js';
import { removeSync } from '../../shared/cleanup-stack.js';
import { readdirSyncIfPresent } from '../../shared/if-present.js';
import { removeLeftover } from '../../shared/leftover-removal.js';
import { isOrphaned, ownedPrefix } from '../../shared/owned-name.js';
import { MorphError } from '../errors.js';

/** How `writeOutputAtomically` puts the finished output in place. */
export interface AtomicOutputOptions {
  /** A file already at the location is replaced (else the output is refused: `extension/location-exists`). */
  replace?: boolean;
  /** Creates the location's parent directories. */
  createParents?: boolean;
}

/** The prefix of every partial output for `target`. */
export function partialPrefix(target: string): string {
  return `.${basename(target)}.morph-partial-`;
}

/**
 * The partial outputs beside `location` whose owner is dead (none when its
 * directory does not exist).
 * @throws the error of reading the directory for anything but ENOENT.
 */
export function orphanedPartialsOf(location: string): string[] {
  const target = resolve(location);
  const dir = dirname(target);
  const prefix = partialPrefix(target);
  return readdirSyncIfPresent(dir)
    .filter((name) => name.startsWith(prefix) && isOrphaned(name))
    .map((name) => join(dir, name));
}

/**
 * Runs `make(partial)`, which must create the output at `partial` (a file
 * or a directory), then moves it to `location`.
 * @throws MorphError `extension/location-exists` when something is at the
 *   location and may not be replaced; what `make` throws (the partial removed).
 */
export async function writeOutputAtomically(
  cleanup: CleanupStack,
  location: string,
  make: (partial: string) => Promise<void>,
  options: AtomicOutputOptions = {},
): Promise<void> {
  const target = resolve(location);
  const dir = dirname(target);
  if (options.createParents) await mkdir(dir, { recursive: true });
  for (const orphan of orphanedPartialsOf(target)) removeLeftover(orphan);
  const partial = join(dir, `${partialPrefix(target)}${ownedPrefix('')}${randomBytes(4).toString('hex')}`);
  const removal = cleanup.push(`remove partial output ${partial}`, () => removeSync(partial));
  try {
    await make(partial);
    const made = await lstat(partial);
    if (options.replace || made.isDirectory()) {
      // A directory replaces only an empty one (rename fails on anything else).
      await rename(partial, target);
    } else {
      // link() never replaces: a file that appeared meanwhile is kept.
      await link(partial, target);
      await rm(partial, { force: true });
    }
  } catch (err) {
    removal.release();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') {
      throw new MorphError('extension', 'location-exists', `There is already something at ${location}`, {
        hint: 'remove it, or deploy to another location',
        cause: err,
      });
    }
    throw err;
  }
  removal.forget();
}
