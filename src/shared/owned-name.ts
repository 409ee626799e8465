/**
 * Names that record their owner: scratch state that a SIGKILL can leave
 * behind (deploy temp dirs, staging areas, partial outputs and images)
 * carries the pid of the process that made it, as `-p<pid>-` in its name,
 * so that a later morph run (or `morph gc`) removes it once that process is
 * dead and leaves alone what a running one still uses.
 */

/** `<prefix>p<pid>-`: a prefix for `mkdtemp` or a partial file name, owned by this process. */
export function ownedPrefix(prefix: string, pid: number = process.pid): string {
  return `${prefix}p${pid}-`;
}

/** The owner pid recorded in `name` by `ownedPrefix`, if any. */
export function ownerOf(name: string): number | undefined {
  const match = /(?:^|[-._])p(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** True when process `pid` exists (a process of another user counts as alive). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `name` records an owner and that process is dead: the entry is a leftover. */
export function isOrphaned(name: string): boolean {
  const owner = ownerOf(name);
  return owner !== undefined && !isProcessAlive(owner);
}
