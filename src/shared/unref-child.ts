import type { ChildProcess } from 'node:child_process';

/**
 * Lets this process exit while `child` and its pipes are still open: for a
 * long-lived helper process (a worker, a batch reader) that must not keep
 * node alive when idle. `child.ref()` keeps it alive again while requests
 * are pending; the pipes stay unreferenced, the child's handle is enough.
 */
export function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}
