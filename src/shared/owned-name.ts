/**
 * Names that record their owner: scratch state that a SIGKILL can leave
 * behind (deploy temp dirs, staging areas, partial outputs and images)
 * carries the pid of the process that made it, as `-p<pid>-` in its name,
 * so that a later morph run (or `morph gc`) removes it once that process is
 * dead and leaves alone what a running one still uses.
 */
import { readFileSync } from 'node:fs';

/** `<prefix>p<pid>-`: a prefix for `mkdtemp` or a partial file name, owned by this process. */
export function ownedPrefix(prefix: string, pid: number = process.pid): string {
  return `${prefix}p${pid}-`;
}

/** The owner pid recorded in `name` by `ownedPrefix`, if any. */
export function ownerOf(name: string): number | undefined {
  const match = /(?:^|[-._])p(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * True when process `pid` exists and is not dying (a process of another
 * user counts as alive). A zombie, or a process that is exiting (its memory
 * already released, so its command line is empty), is dead: an owner killed
 * by SIGKILL stays a zombie until whoever inherited it reaps it, which may
 * be long after the next morph run has started.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isDying(pid);
}

/** True when /proc shows `pid` as a zombie or as exiting; false when /proc cannot tell. */
function isDying(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X' || state === 'x') return true;
    // Kernel threads have no command line either, but never own our names.
    return readFileSync(`/proc/${pid}/cmdline`).length === 0;
  } catch {
    return false;
  }
}

/** True when `name` records an owner and that process is dead: the entry is a leftover. */
export function isOrphaned(name: string): boolean {
  const owner = ownerOf(name);
  return owner !== undefined && !isProcessAlive(owner);
}
