/**
 * For tests that run this package's shipped executables as another user
 * (`nobody`, through `setpriv`): a checkout in a directory that user cannot
 * enter (root's 0700 home, `mktemp -d`) would make them fail with
 * "Permission denied", so they run from a world-readable copy of what the
 * executables need instead.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** What the built-in extensions need at run time (no npm dependencies). */
const RUNTIME_PARTS = ['morphlib/exts', 'dist/src', 'package.json'];

const copies = new Map<string, string>();

/**
 * The directory to run `morphlib/exts/*` from as the user `asUser` (a
 * command prefix such as `setpriv --reuid=65534 ...`): `srcdir` itself when
 * that user can read `probe` (a path relative to it) there, else a copy
 * under /tmp, made once per process and removed when it exits.
 */
export function unprivilegedSourceDir(srcdir: string, asUser: readonly string[], probe: string): string {
  if (asUser.length === 0) return srcdir;
  const reachable =
    spawnSync(asUser[0]!, [...asUser.slice(1), 'test', '-r', join(srcdir, probe)]).status === 0;
  if (reachable) return srcdir;
  const made = copies.get(srcdir);
  if (made) return made;
  const copy = mkdtempSync('/tmp/morph-unprivileged-');
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
  for (const part of RUNTIME_PARTS) cpSync(join(srcdir, part), join(copy, part), { recursive: true });
  chmodSync(copy, 0o755);
  spawnSync('chmod', ['-R', 'a+rX', copy]);
  copies.set(srcdir, copy);
  return copy;
}
