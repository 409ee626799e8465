/**
 * "Missing" means ENOENT and nothing else: a path that cannot be read for
 * another reason (EACCES, ENOTDIR, EIO, ELOOP) is an error to report, not
 * an absent file to create or skip.
 */
import { readdirSync, type Stats } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';

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
 * What `read()` returns, or undefined when it fails with ENOENT.
 * @throws what `read` throws for anything but ENOENT.
 */
export function ifPresentSync<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * The text of file `path`, or undefined when it does not exist.
 * @throws the error of `readFile` for anything but ENOENT.
 */
export function readFileIfPresent(path: string): Promise<string | undefined> {
  return ifPresent(() => readFile(path, 'utf8'));
}

/**
 * The names in directory `dir`, or none when it does not exist.
 * @throws the error of `readdir` for anything but ENOENT.
 */
export async function readdirIfPresent(dir: string): Promise<string[]> {
  return (await ifPresent(() => readdir(dir))) ?? [];
}

/**
 * The names in directory `dir`, or none when it does not exist.
 * @throws the error of `readdirSync` for anything but ENOENT.
 */
export function readdirSyncIfPresent(dir: string): string[] {
  return ifPresentSync(() => readdirSync(dir)) ?? [];
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
