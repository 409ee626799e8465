import type { Digest } from './digest.js';

/** A blob to make present in the CAS: its bytes in memory, or a file holding them. */
export interface Blob {
  readonly digest: Digest;
  readonly bytes?: Buffer;
  readonly path?: string;
}

/** The blobs of one or more Merkle trees, by hash (one entry per distinct content). */
export class BlobSet {
  private readonly blobs = new Map<string, Blob>();

  /** Adds a blob (a second one of the same hash is the same content and is dropped). */
  add(blob: Blob): void {
    if (!this.blobs.has(blob.digest.hash)) this.blobs.set(blob.digest.hash, blob);
  }

  /** Adds every blob of `other`. */
  addAll(other: BlobSet): void {
    for (const blob of other.blobs.values()) this.add(blob);
  }

  /** The blob of `hash`, if held. */
  get(hash: string): Blob | undefined {
    return this.blobs.get(hash);
  }

  /** Every blob held. */
  all(): Blob[] {
    return [...this.blobs.values()];
  }

  get size(): number {
    return this.blobs.size;
  }
}
