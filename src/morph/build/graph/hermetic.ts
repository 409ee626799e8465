import { chmodSync, lstatSync, lutimesSync, readdirSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The `SOURCE_DATE_EPOCH` of every build: one constant (1991-08-25 00:00:00
 * UTC, the date OSTree commits are stamped with), not the definitions
 * commit's time, so that a new definitions commit does not change every
 * cache key (docs/decisions.md, "SOURCE_DATE_EPOCH is one constant").
 */
export const SOURCE_DATE_EPOCH = 683078400;

/** The umask every build command runs with. */
export const BUILD_UMASK = 0o022;

/**
 * The variables that make a build independent of when and where it runs;
 * they are part of every build environment and of every cache key.
 */
export const HERMETIC_ENVIRONMENT: Readonly<Record<string, string>> = {
  LC_ALL: 'C',
  SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH),
  TZ: 'UTC',
};

/** The cache_id entry recording the umask of build commands (`'0022'`). */
export const UMASK_CACHE_ID = { 'build-umask': BUILD_UMASK.toString(8).padStart(4, '0') } as const;

/**
 * `[program, argv]` that runs `program argv...` with the build umask: a
 * shell sets it and execs the program, so every process below inherits it
 * whatever morph's own umask is.
 */
export function withBuildUmask(program: string, argv: readonly string[]): [string, string[]] {
  const [shell, ...args] = buildUmaskArgv([program, ...argv]);
  return [shell as string, args];
}

/** `argv` run with the build umask (as `withBuildUmask`), as one argv. */
export function buildUmaskArgv(argv: readonly string[]): string[] {
  const umask = BUILD_UMASK.toString(8).padStart(4, '0');
  return ['/bin/sh', '-c', `umask ${umask} && exec "$0" "$@"`, ...argv];
}

/**
 * Sets the modification time of every file, symlink and directory under
 * `root` (itself included) that is later than `epoch` (seconds) to `epoch`.
 * Older times are kept, so that files checked out of the artifact cache
 * (mtime 0) are not touched: on an overlay that would copy them up.
 */
export function clampMtimes(root: string, epoch: number = SOURCE_DATE_EPOCH): void {
  const visit = (path: string): void => {
    const st = lstatSync(path, { bigint: true });
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name));
    }
    if (st.mtimeMs > BigInt(epoch) * 1000n) {
      lutimesSync(path, epoch, epoch);
    }
  };
  visit(root);
}

/** Writes a file morph makes itself with an explicit mode (0644 unless said), whatever the umask. */
export async function writeOwnFile(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await writeFile(path, data, { mode });
  await chmod(path, mode);
}

/** Makes a directory (and missing parents) with mode 0755, whatever the umask. */
export async function makeOwnDirectory(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true });
  if (first === undefined) return; // it was there: its mode is someone else's
  // Every directory from `first` down to `path` was created now.
  for (let dir = path; ; dir = join(dir, '..')) {
    chmodSync(dir, 0o755);
    if (dir === first || dir.length <= first.length) break;
  }
}
