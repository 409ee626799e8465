import { invariant } from './invariant.js';

/**
 * A counting semaphore: at most `size` holders at once, waiters served in
 * the order they asked.
 */
export class JobSlots {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    invariant(size >= 1, `job slots need a size of at least 1, not ${size}`);
  }

  /** Runs `work` in a slot, waiting for one first; the slot is freed however `work` ends. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** How many slots are taken. */
  get busy(): number {
    return this.held;
  }

  private async acquire(): Promise<void> {
    if (this.held < this.size) {
      this.held++;
      return;
    }
    // release() hands its slot straight to the first waiter.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }
}
