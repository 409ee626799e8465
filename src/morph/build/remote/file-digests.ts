import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
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
    const key = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    let digest = this.known.get(key);
    if (!digest) {
      digest = this.hash(path);
      this.known.set(key, digest);
      digest.catch(() => this.known.delete(key));
    }
    return digest;
  }

  private async hash(path: string): Promise<Digest> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    this.bytesHashed += size;
    return { hash: hash.digest('hex'), sizeBytes: size };
  }
}
