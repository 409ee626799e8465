import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ifPresentSync, readdirIfPresent } from '../../../shared/if-present.js';
import { isProcessAlive, ownedPrefix, ownerOf } from '../../../shared/owned-name.js';
import type { Digest } from './digest.js';

/** One regular file of an artifact's tree. */
export interface MemoFile {
  /** Its path in the tree, relative (`usr/bin/gcc`). */
  readonly path: string;
  /** The checksum of its OSTree content object. */
  readonly object: string;
  /** Its REAPI digest (SHA-256 and size of its content). */
  readonly digest: Digest;
}

/** The format written in every entry: bump it when an entry's meaning changes. */
const FORMAT = 1;
const HEX64 = /^[0-9a-f]{64}$/;
/** Temporary files of `write` (`.tmp-p<pid>-<random>`): a SIGKILL between write and rename leaves one. */
const TEMP_PREFIX = '.tmp-';

/** Where the memo of the artifact cache in `cacheDir` (`ArtifactCache.dir`) lives. */
export function memoDirOf(cacheDir: string): string {
  return join(cacheDir, 'reapi-digests');
}

/**
 * The REAPI digests of the files of artifact commits, on disk, one entry
 * per OSTree commit checksum (`<dir>/<commit>`). A commit is immutable, so
 * an entry is valid for as long as the file exists, across morph runs and
 * caches. An entry is written whole to a temporary file and renamed into
 * place, so concurrent morph processes writing the same entry (they write
 * the same content) and a kill at any point leave either no entry or a whole
 * one; an entry carries the SHA-256 of its body and its commit, and one that
 * does not check out (torn, corrupt, misplaced) is reported absent, never
 * trusted, and is replaced by the next `write`.
 */
export class TreeDigestMemo {
  /** Entries that were there but did not check out (this object's reads). */
  corrupt = 0;
  private swept?: Promise<void>;

  constructor(readonly dir: string) {}

  /**
   * The files of `commit` as written by `write`, or undefined when absent or corrupt. Entries are
   * read and written with synchronous calls: a build reads or writes one per artifact (a
   * thousand in the 200-chunk bench), most of a few hundred bytes, and each asynchronous call
   * costs morph's thread several times the system call.
   */
  async read(commit: string): Promise<MemoFile[] | undefined> {
    if (!HEX64.test(commit)) return undefined;
    const text = ifPresentSync(() => readFileSync(join(this.dir, commit), 'utf8'));
    if (text === undefined) return undefined;
    const files = parseEntry(text, commit);
    if (!files) this.corrupt++;
    return files;
  }

  /** Records the files of `commit` (atomically; a concurrent writer of the same commit is harmless). */
  async write(commit: string, files: readonly MemoFile[]): Promise<void> {
    if (!HEX64.test(commit)) throw new Error(`not an OSTree commit checksum: ${commit}`);
    mkdirSync(this.dir, { recursive: true });
    this.swept ??= this.removeLeftovers();
    await this.swept;
    const body = JSON.stringify({
      format: FORMAT,
      commit,
      files: files.map((f) => [f.path, f.object, f.digest.hash, f.digest.sizeBytes]),
    });
    const temp = join(this.dir, `${TEMP_PREFIX}${ownedPrefix('')}${randomBytes(6).toString('hex')}`);
    try {
      writeFileSync(temp, `${sha256(body)}\n${body}`);
      renameSync(temp, join(this.dir, commit));
    } catch (err) {
      rmSync(temp, { force: true });
      throw err;
    }
  }

  /**
   * Removes the entries of commits not in `live` (`morph gc`, after it pruned
   * the cache); returns how many. An entry a concurrent build writes meanwhile
   * may go too: the memo only saves work, its next read recomputes it.
   */
  async removeEntriesExcept(live: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const name of await readdirIfPresent(this.dir)) {
      if (HEX64.test(name) && !live.has(name)) {
        await rm(join(this.dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Removes the temporary files of writers that were killed (their pid is gone). */
  private async removeLeftovers(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const owner = name.startsWith(TEMP_PREFIX) ? ownerOf(name.slice(TEMP_PREFIX.length)) : undefined;
      if (owner !== undefined && !isProcessAlive(owner)) await rm(join(this.dir, name), { force: true });
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The files of an entry's text, or undefined unless it is whole, well-formed and of `commit`. */
function parseEntry(text: string, commit: string): MemoFile[] | undefined {
  const newline = text.indexOf('\n');
  if (newline !== 64) return undefined;
  const body = text.slice(65);
  if (sha256(body) !== text.slice(0, 64)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const entry = parsed as { format?: unknown; commit?: unknown; files?: unknown };
  if (entry.format !== FORMAT || entry.commit !== commit || !Array.isArray(entry.files)) return undefined;
  const files: MemoFile[] = [];
  for (const item of entry.files as unknown[]) {
    if (!Array.isArray(item) || item.length !== 4) return undefined;
    const [path, object, hash, size] = item as unknown[];
    const valid =
      typeof path === 'string' &&
      path.length > 0 &&
      typeof object === 'string' &&
      HEX64.test(object) &&
      typeof hash === 'string' &&
      HEX64.test(hash) &&
      Number.isSafeInteger(size) &&
      (size as number) >= 0;
    if (!valid) return undefined;
    files.push({ path, object, digest: { hash, sizeBytes: size as number } });
  }
  return files;
}
