import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
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

/** Files up to this size are read and hashed at once, without yielding (most files of a tree). */
const READ_AT_ONCE = 64 * 1024;
/** Larger files up to this size are read whole: cheaper than a stream, per file. */
const READ_WHOLE = 1024 * 1024;

/**
 * The digest of the file at `path`: a small one read with synchronous calls
 * (open, fstat, read, close: each asynchronous one costs morph's thread a
 * thread-pool round trip and a promise, several times the system call, and
 * most files of a tree are small), a larger one read whole, a large one
 * streamed.
 */
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
  const handle = await open(path, 'r');
  let size = 0;
  try {
    if ((await handle.stat()).size <= READ_WHOLE) {
      const data = await handle.readFile();
      hash.update(data);
      size = data.length;
    } else {
      for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: READ_WHOLE })) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    }
  } finally {
    await handle.close();
  }
  return { hash: hash.digest('hex'), sizeBytes: size };
}
