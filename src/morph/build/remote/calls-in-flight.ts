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

/** Calls of one transfer (`inBatches`) in flight at once. */
const CALLS_AT_ONCE = 4;

/**
 * Transfers `items` (blobs, or digests of blobs) in calls to the engine:
 * small ones together, up to `maxBatchBytes` a call (BatchUpdateBlobs,
 * BatchReadBlobs), each larger one alone (ByteStream), up to four calls at
 * once.
 */
export async function inBatches<T>(
  items: readonly T[],
  maxBatchBytes: number,
  transfer: {
    /** The item's size in bytes. */
    size(item: T): number;
    batch(items: T[]): Promise<void>;
    single(item: T): Promise<void>;
  },
): Promise<void> {
  const calls = new CallsInFlight(CALLS_AT_ONCE);
  try {
    let batch: T[] = [];
    let batchBytes = 0;
    for (const item of items) {
      // Per-entry overhead: the digest and framing, well under 200 bytes.
      const size = transfer.size(item) + 200;
      if (size > maxBatchBytes) {
        await calls.add(() => transfer.single(item));
        continue;
      }
      if (batchBytes + size > maxBatchBytes) {
        const full = batch;
        batch = [];
        batchBytes = 0;
        await calls.add(() => transfer.batch(full));
      }
      batch.push(item);
      batchBytes += size;
    }
    const last = batch;
    if (last.length > 0) await calls.add(() => transfer.batch(last));
  } finally {
    await calls.done();
  }
}
