import type { Digest } from './digest.js';

/** A blob to make present in the CAS: its bytes in memory, or a file holding them. */
export interface Blob {
  readonly digest: Digest;
  readonly bytes?: Buffer;
  readonly path?: string;
}

/**
 * The blobs of one or more Merkle trees, by hash (one entry per distinct
 * content). Another set can be included by reference (`include`): a chunk's
 * blobs are its own few plus its dependency tree's thousands, which every
 * chunk of a stratum shares and which are only listed when uploaded.
 */
export class BlobSet {
  private readonly blobs = new Map<string, Blob>();
  private readonly included: BlobSet[] = [];

  /** Adds a blob (a second one of the same hash is the same content and is dropped). */
  add(blob: Blob): void {
    if (!this.has(blob.digest.hash)) this.blobs.set(blob.digest.hash, blob);
  }

  /** Includes every blob of `other`, by reference: blobs added to `other` later are included too. */
  include(other: BlobSet): void {
    this.included.push(other);
  }

  /** The blob of `hash`, if held. */
  get(hash: string): Blob | undefined {
    const own = this.blobs.get(hash);
    if (own) return own;
    for (const other of this.included) {
      const blob = other.get(hash);
      if (blob) return blob;
    }
    return undefined;
  }

  /** True when a blob of `hash` is held. */
  has(hash: string): boolean {
    return this.get(hash) !== undefined;
  }

  /** Every blob held, each content once. */
  all(): Blob[] {
    const unique = new Map<string, Blob>();
    this.collect(unique);
    return [...unique.values()];
  }

  private collect(into: Map<string, Blob>): void {
    for (const other of this.included) other.collect(into);
    for (const [hash, blob] of this.blobs) if (!into.has(hash)) into.set(hash, blob);
  }
}
