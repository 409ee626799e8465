import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readFileSync } from 'node:fs';
import { remembered } from '../../../shared/remembered.js';
import type { Digest } from './digest.js';

/** What `FileDigests` needs of a file's `lstat`. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly nlink: number;
}

/**
 * File digests, remembered by inode only where an inode cannot change
 * content within a morph run: the files of dependency trees are hard links
 * (`nlink` > 1) to the OSTree cache's objects, which are immutable and stay
 * for the whole run, so each object is read and hashed once however many
 * trees and strata stage it. Any other file (sources, `ldconfig`'s cache) is
 * hashed every time: a removed staging area frees its inodes, the next
 * checkout reuses them, and every checked-out file has the same mtime
 * (SOURCE_DATE_EPOCH), so an inode, size and mtime can name another content
 * minutes later. Remembering those gave remote actions another chunk's file.
 */
export class FileDigests {
  private readonly known = new Map<string, Promise<Digest>>();
  /** Bytes read to hash files (what the memo did not spare). */
  bytesHashed = 0;

  /**
   * The digest of the regular file at `path`, whose `lstat` is `stats`;
   * `memo` false hashes it whatever its link count (a tree whose hard links
   * may go during the run, e.g. a source checkout's `.git`).
   */
  of(path: string, stats: FileIdentity, memo = true): Promise<Digest> {
    if (!memo || stats.nlink < 2) return this.hash(path);
    return remembered(this.known, `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`, () =>
      this.hash(path),
    );
  }

  /** The digest of the file at `path`, read and hashed now (counted in `bytesHashed`). */
  async hash(path: string): Promise<Digest> {
    const digest = await hashFile(path);
    this.bytesHashed += digest.sizeBytes;
    return digest;
  }
}

/**
 * Files up to this size are read and hashed at once, without yielding:
 * nearly every file (SHA-256 runs at over 1 GB/s, so the largest holds
 * morph's thread for some 40 ms). Reading one in many asynchronous steps
 * made it wait for the thread between them, behind everything else morph
 * was doing: hashing an 87 MiB toolchain took 7 s of wall time during the
 * 200-chunk bench's all-hits build, most of it waiting.
 */
const READ_AT_ONCE = 64 * 1024 * 1024;
/** What a larger file is streamed in. */
const STREAM_CHUNK = 4 * 1024 * 1024;

/** The digest of the file at `path`: read whole at once up to READ_AT_ONCE bytes, else streamed. */
export async function hashFile(path: string): Promise<Digest> {
  return hashSmallFile(path) ?? (await hashLargeFile(path));
}

/** The digest of the file at `path` if it is at most READ_AT_ONCE bytes, else undefined. */
function hashSmallFile(path: string): Digest | undefined {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).size > READ_AT_ONCE) return undefined;
    const data = readFileSync(fd);
    return { hash: createHash('sha256').update(data).digest('hex'), sizeBytes: data.length };
  } finally {
    closeSync(fd);
  }
}

async function hashLargeFile(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: STREAM_CHUNK })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hash: hash.digest('hex'), sizeBytes: size };
}
