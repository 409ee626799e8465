/**
 * Keeps up to `limit` calls to the engine in flight at once (batches of a
 * large upload or download), so that their round trips overlap instead of
 * adding up. The first failure is thrown by `add` or `done`; the other calls
 * still run to their end and are awaited, so nothing is left running.
 */
export class CallsInFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Starts `call`, first waiting while `limit` calls are running. */
  async add(call: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.throwIfFailed();
    const promise: Promise<void> = call().then(
      () => {
        this.running.delete(promise);
      },
      (error: unknown) => {
        this.running.delete(promise);
        this.failure ??= { error };
      },
    );
    this.running.add(promise);
  }

  /** Waits for every call; throws the first failure. */
  async done(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
