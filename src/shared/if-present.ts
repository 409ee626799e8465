/**
 * "Missing" means ENOENT and nothing else: a path that cannot be read for
 * another reason (EACCES, ENOTDIR, EIO, ELOOP) is an error to report, not
 * an absent file to create or skip.
 */
import type { Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';

/** True for the error of a path that does not exist. */
export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/**
 * What `read()` returns, or undefined when it fails with ENOENT.
 * @throws what `read` throws for anything but ENOENT.
 */
export async function ifPresent<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * `stat(path)`, or undefined when nothing is there.
 * @throws the error of `stat` for anything but ENOENT.
 */
export function statIfPresent(path: string): Promise<Stats | undefined> {
  return ifPresent(() => stat(path));
}

/**
 * `lstat(path)`, or undefined when nothing is there.
 * @throws the error of `lstat` for anything but ENOENT.
 */
export function lstatIfPresent(path: string): Promise<Stats | undefined> {
  return ifPresent(() => lstat(path));
}
