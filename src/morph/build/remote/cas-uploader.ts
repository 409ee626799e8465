import { createReadStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Blob } from './blob-set.js';
import { inBatches } from './calls-in-flight.js';
import type { EngineLimits, ReapiClient } from './reapi-client.js';

/** Files up to this size are read for a batch without yielding. */
const READ_AT_ONCE = 64 * 1024;

/** Blobs to upload up to this many bytes in all are sent without asking FindMissingBlobs first. */
const SEND_UNASKED = 256 * 1024;

/** How many digests one FindMissingBlobs call asks about. */
const FIND_BATCH = 4000;

/** What the uploads of one morph run cost. */
export interface UploadStats {
  /** Blobs asked about with FindMissingBlobs. */
  blobsChecked: number;
  /** Blobs (and their bytes) sent: found missing, or few enough to be sent without asking. */
  blobsUploaded: number;
  bytesUploaded: number;
  /** Wall time spent in `upload` (overlapping calls each count). */
  uploadMs: number;
}

/**
 * Makes blobs present in the engine's CAS: FindMissingBlobs, then the
 * missing ones in BatchUpdateBlobs calls up to the engine's batch size, and
 * each larger one through ByteStream (a few small blobs are sent without
 * asking first). Blobs known to be there (checked or
 * sent earlier in this run) are not asked about again, and a blob that one
 * chunk is sending is awaited by another that needs it instead of being
 * sent twice.
 */
export class CasUploader {
  private readonly present = new Set<string>();
  private readonly sending = new Map<string, Promise<void>>();
  readonly stats: UploadStats = { blobsChecked: 0, blobsUploaded: 0, bytesUploaded: 0, uploadMs: 0 };

  constructor(
    private readonly client: ReapiClient,
    private readonly limits: EngineLimits,
  ) {}

  /** Uploads whatever of `blobs` the CAS lacks. */
  async upload(blobs: readonly Blob[]): Promise<void> {
    const start = Date.now();
    try {
      await this.uploadMissing(blobs);
    } finally {
      this.stats.uploadMs += Date.now() - start;
    }
  }

  private async uploadMissing(blobs: readonly Blob[]): Promise<void> {
    const waits: Promise<void>[] = [];
    const unknown: Blob[] = [];
    for (const blob of blobs) {
      if (this.present.has(blob.digest.hash)) continue;
      const pending = this.sending.get(blob.digest.hash);
      if (pending) waits.push(pending);
      else unknown.push(blob);
    }
    for (let i = 0; i < unknown.length; i += FIND_BATCH) {
      const batch = unknown.slice(i, i + FIND_BATCH);
      const missing = await this.missingOf(batch);
      const toSend: Blob[] = [];
      for (const blob of batch) {
        if (!missing.has(blob.digest.hash)) this.present.add(blob.digest.hash);
        else if (this.sending.has(blob.digest.hash))
          waits.push(this.sending.get(blob.digest.hash) as Promise<void>);
        else toSend.push(blob);
      }
      const sent = this.send(toSend);
      for (const blob of toSend) this.sending.set(blob.digest.hash, sent);
      sent.then(
        () => {
          for (const blob of toSend) {
            this.present.add(blob.digest.hash);
            this.sending.delete(blob.digest.hash);
          }
        },
        () => {
          for (const blob of toSend) this.sending.delete(blob.digest.hash);
        },
      );
      await sent;
    }
    await Promise.all(waits);
  }

  /**
   * The hashes of `blobs` the CAS lacks: asked with FindMissingBlobs, unless
   * they are so few bytes in all (SEND_UNASKED) that sending them all in one
   * batch costs less than the round trip of asking (a chunk's new sources,
   * directories, command and action, once its dependency tree is known to
   * be there); sending a blob the CAS holds is harmless.
   */
  private async missingOf(blobs: readonly Blob[]): Promise<Set<string>> {
    const bytes = blobs.reduce((sum, blob) => sum + blob.digest.sizeBytes, 0);
    if (bytes <= Math.min(SEND_UNASKED, this.limits.maxBatchBytes / 2)) {
      return new Set(blobs.map((blob) => blob.digest.hash));
    }
    this.stats.blobsChecked += blobs.length;
    return new Set((await this.client.findMissing(blobs.map((b) => b.digest))).map((d) => d.hash));
  }

  private async send(blobs: readonly Blob[]): Promise<void> {
    for (const blob of blobs) {
      this.stats.blobsUploaded++;
      this.stats.bytesUploaded += blob.digest.sizeBytes;
    }
    await inBatches(blobs, this.limits.maxBatchBytes, {
      size: (blob) => blob.digest.sizeBytes,
      batch: async (batch) => {
        const data: { digest: Blob['digest']; data: Buffer }[] = [];
        // One file at a time: a batch may hold thousands of small files. A small one is read with one
        // synchronous call (an asynchronous read costs morph's thread several times the system call).
        for (const blob of batch) {
          const path = blob.path as string;
          const bytes =
            blob.bytes ?? (blob.digest.sizeBytes <= READ_AT_ONCE ? readFileSync(path) : await readFile(path));
          data.push({ digest: blob.digest, data: bytes });
        }
        await this.client.batchUpdate(data);
      },
      single: (blob) => this.client.byteStreamWrite(blob.digest, chunksOf(blob)),
    });
  }
}

async function* chunksOf(blob: Blob): AsyncIterable<Buffer> {
  if (blob.bytes) {
    for (let i = 0; i < blob.bytes.length; i += 1024 * 1024) yield blob.bytes.subarray(i, i + 1024 * 1024);
    return;
  }
  for await (const chunk of createReadStream(blob.path as string, { highWaterMark: 1024 * 1024 })) {
    yield chunk as Buffer;
  }
}
