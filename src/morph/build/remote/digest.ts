import { createHash } from 'node:crypto';

/** A REAPI `Digest`: the SHA-256 of a blob (lower-case hex) and its size in bytes. */
export interface Digest {
  readonly hash: string;
  readonly sizeBytes: number;
}

/** The digest of `bytes`. */
export function digestOf(bytes: Uint8Array): Digest {
  return { hash: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length };
}

/** `hash/size`, the form ByteStream resource names and logs use. */
export function digestName(digest: Digest): string {
  return `${digest.hash}/${digest.sizeBytes}`;
}

/** The digest of the empty blob (an empty file, an empty `Directory`). */
export const EMPTY_DIGEST: Digest = digestOf(new Uint8Array(0));
