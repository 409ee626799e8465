import { performance } from 'node:perf_hooks';

/**
 * Wall time during which at least one piece of some work was in progress:
 * the union of the intervals of `time` calls, so that pieces running at
 * once (several chunks uploading) count once, not once each.
 */
export class BusyClock {
  private running = 0;
  private since = 0;
  private total = 0;

  /** @param now the clock, in milliseconds (tests give their own). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Runs `work`, counting its interval. */
  async time<T>(work: () => Promise<T>): Promise<T> {
    if (this.running++ === 0) this.since = this.now();
    try {
      return await work();
    } finally {
      if (--this.running === 0) this.total += this.now() - this.since;
    }
  }

  /** Milliseconds busy so far (the interval in progress included). */
  get ms(): number {
    return this.total + (this.running > 0 ? this.now() - this.since : 0);
  }
}
