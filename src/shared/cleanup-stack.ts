import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

/** One undo action; synchronous so that it can also run from a signal handler. */
export interface CleanupAction {
  /** What is being undone, for the debug log (`unmount /tmp/x`). */
  readonly description: string;
  readonly run: () => void;
}

/** A registered action: run it now (`release`) or drop it once it is no longer needed (`forget`). */
export interface CleanupHandle {
  release(): void;
  forget(): void;
}

/**
 * Undo actions registered while resources are acquired (mounts, loop
 * devices, temporary files), run in reverse order on every exit path:
 * the normal end of a step (`release`), an error (`unwind`) and SIGINT /
 * SIGTERM (`unwind` from the handler of `runExtensionMain`).
 *
 * Actions are synchronous on purpose: a signal handler cannot await, and
 * the work (umount, losetup -d, rm) is short.
 */
export class CleanupStack {
  private readonly actions: CleanupAction[] = [];
  /** Failures of cleanup actions, kept so that callers can log them. */
  readonly failures: string[] = [];

  /** Registers `run`; the handle runs it early (`release`) or drops it (`forget`). */
  push(description: string, run: () => void): CleanupHandle {
    const action = { description, run };
    this.actions.push(action);
    return {
      release: () => {
        if (this.remove(action)) this.runAction(action);
      },
      forget: () => {
        this.remove(action);
      },
    };
  }

  /** Runs every registered action, newest first; never throws. */
  unwind(): void {
    while (this.actions.length > 0) {
      const action = this.actions.pop()!;
      this.runAction(action);
    }
  }

  /** Number of pending actions (for tests and assertions). */
  get size(): number {
    return this.actions.length;
  }

  private remove(action: CleanupAction): boolean {
    const index = this.actions.indexOf(action);
    if (index < 0) return false;
    this.actions.splice(index, 1);
    return true;
  }

  private runAction(action: CleanupAction): void {
    try {
      action.run();
    } catch (err) {
      this.failures.push(`${action.description}: ${(err as Error).message}`);
    }
  }
}

/**
 * Unmounts `path` synchronously. A busy mount is retried for up to about
 * three seconds (a child killed on interruption may still hold files open
 * for a moment), then unmounted lazily.
 * @throws Error when nothing works and the path is still mounted.
 */
export function unmountSync(path: string): void {
  for (let attempt = 0; attempt < 30; attempt++) {
    const plain = spawnSync('umount', [path], { encoding: 'utf8' });
    if (plain.status === 0) return;
    if (!/busy/i.test(plain.stderr ?? '')) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  const lazy = spawnSync('umount', ['-l', path], { stdio: 'ignore' });
  if (lazy.status !== 0) throw new Error(`cannot unmount ${path}`);
}

/** Detaches loop device `device` synchronously (already detached is fine). */
export function detachLoopSync(device: string): void {
  const result = spawnSync('losetup', ['-d', device], { encoding: 'utf8' });
  if (result.status !== 0 && !/No such device/i.test(result.stderr ?? '')) {
    throw new Error(`cannot detach ${device}: ${(result.stderr ?? '').trim()}`);
  }
}

/** Removes `path` recursively; a missing path is fine. */
export function removeSync(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
