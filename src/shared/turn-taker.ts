import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Lets long synchronous work give the event loop a turn now and then: a
 * loop that lists or hashes thousands of files with synchronous calls
 * (cheaper than asynchronous ones, one at a time) calls `maybeYield()`
 * after each piece, and waits for the next turn of the loop once `sliceMs`
 * have passed since the last one. Replies, timers and other chunks' work
 * meanwhile wait at most about one slice, not the whole job.
 */
export class TurnTaker {
  private since = performance.now();

  constructor(private readonly sliceMs = 5) {}

  /** Resolves at once within a slice, else on the loop's next turn. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.since < this.sliceMs) return;
    await nextTurn();
    this.since = performance.now();
  }
}
