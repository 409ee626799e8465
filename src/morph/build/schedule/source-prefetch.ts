/**
 * Work done ahead of need, one piece at a time: chunk sources are checked
 * out while the chunks wait for their dependencies, so that a chunk whose
 * dependencies are ready (at a stratum boundary, on the build's critical
 * path) finds its sources there. Pieces are made in the order offered (the
 * build order), and at most `window` made pieces wait to be taken, which
 * bounds the disk they use. Taking a piece not started yet withdraws it:
 * the taker makes it itself, at once.
 */
export class Prefetch<T> {
  private waiting: { key: string; make: () => Promise<T> }[] = [];
  /** Started and not taken yet. */
  private readonly made = new Map<string, Promise<T>>();
  private busy = false;
  private closed = false;

  /**
   * @param window how many made pieces may wait to be taken.
   * @param discard removes a piece that was never taken (at `close`).
   */
  constructor(
    private readonly window: number,
    private readonly discard: (piece: T) => Promise<void>,
  ) {}

  /** Offers a piece to make ahead (once per key). */
  offer(key: string, make: () => Promise<T>): void {
    if (this.closed || this.made.has(key) || this.waiting.some((w) => w.key === key)) return;
    this.waiting.push({ key, make });
    this.pump();
  }

  /**
   * The piece `key`, made or being made (its failure included); undefined
   * when it was not started, and then it never will be.
   */
  take(key: string): Promise<T> | undefined {
    const at = this.waiting.findIndex((w) => w.key === key);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      return undefined;
    }
    const piece = this.made.get(key);
    if (piece) {
      this.made.delete(key);
      this.pump();
    }
    return piece;
  }

  /** Starts nothing more and discards every piece made and not taken. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting = [];
    const left = [...this.made.values()];
    this.made.clear();
    for (const piece of await Promise.allSettled(left)) {
      // Best effort at the end of a build: what cannot be removed stays in the tempdir for `morph gc`.
      if (piece.status === 'fulfilled') await this.discard(piece.value).catch(() => {});
    }
  }

  private pump(): void {
    if (this.busy || this.closed || this.made.size >= this.window) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.busy = true;
    const piece = next.make();
    this.made.set(next.key, piece);
    piece
      .catch(() => {}) // its failure reaches whoever takes it (take(key)); here it only frees the slot
      .finally(() => {
        this.busy = false;
        this.pump();
      });
  }
}
