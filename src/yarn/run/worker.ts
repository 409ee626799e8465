/**
 * A worker: one lane of `-j`, with the context its suite hooks get. The
 * `beforeAll` hooks run before the lane's first scenario; the `afterAll`
 * hooks (newest module's last hook first, as cucumber-js runs them) and then
 * the deferred cleanups run after its last one, also after a failure or an
 * interrupt.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SuiteHook, WorkerContext } from '../api.js';
import { YarnError } from '../errors.js';

function hookError(hook: SuiteHook, err: unknown): YarnError {
  const message = err instanceof Error ? err.message : String(err);
  return new YarnError('HOOK', `${hook.hook} hook failed: ${message.split('\n')[0]}`, {
    location: hook.location,
    cause: err,
  });
}

/** The concrete worker context; the runner calls `begin` and `end`. */
export class Worker implements WorkerContext {
  readonly vars = new Map<string, unknown>();
  readonly dir: string;
  private readonly cleanups: (() => void | Promise<void>)[] = [];
  private begun = false;

  constructor(
    readonly id: number,
    root: string,
    readonly srcdir: string,
    readonly signal: AbortSignal,
  ) {
    this.dir = join(root, `worker-${id}`);
  }

  defer(cleanup: () => void | Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** Runs the `beforeAll` hooks in order. @throws YarnError HOOK for the first that fails */
  async begin(hooks: readonly SuiteHook[]): Promise<void> {
    const before = hooks.filter((h) => h.hook === 'beforeAll');
    if (before.length === 0) return;
    this.begun = true;
    mkdirSync(this.dir, { recursive: true });
    for (const hook of before) {
      try {
        await hook.run(this);
      } catch (err) {
        throw hookError(hook, err);
      }
    }
  }

  /**
   * Runs every `afterAll` hook (last declared first) and then the cleanups
   * (newest first), even when some fail; removes the worker's directory.
   * @throws YarnError HOOK for the first failure, after all have run
   */
  async end(hooks: readonly SuiteHook[]): Promise<void> {
    let first: YarnError | undefined;
    const after = hooks.filter((h) => h.hook === 'afterAll').reverse();
    if (after.length > 0 && !this.begun) mkdirSync(this.dir, { recursive: true });
    for (const hook of after) {
      try {
        await hook.run(this);
      } catch (err) {
        first ??= hookError(hook, err);
      }
    }
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop()!;
      try {
        await cleanup();
      } catch (err) {
        first ??= new YarnError('HOOK', `worker cleanup failed: ${(err as Error)?.message ?? String(err)}`, {
          cause: err,
        });
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (first) throw first;
  }
}
