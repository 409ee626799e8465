import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { remembered } from '../../../shared/remembered.js';
import { TurnTaker } from '../../../shared/turn-taker.js';
import type { Digest } from './digest.js';
import type { FileDigests } from './file-digests.js';
import { commitFiles } from './ostree-objects.js';
import type { MemoFile, TreeDigestMemo } from './tree-digest-memo.js';

/**
 * The REAPI digests of the files of artifact commits in an OSTree
 * repository (bare or bare-user: a file's content object is its content),
 * from the on-disk memo, or else listed from its commit and dirtree objects
 * (`commitFiles`), hashed from the repository's objects once and written to
 * the memo. An object shared
 * by several commits is hashed once per run. Also knows, for the content
 * of any file so seen, a local object holding it (`localContent`), so that
 * an output already in the cache need not be fetched.
 */
export class ArtifactDigests {
  private readonly commits = new Map<string, Promise<MemoFile[] | undefined>>();
  private readonly objects = new Map<string, Promise<Digest | undefined>>();
  private readonly byContent = new Map<string, string>();
  /** Commits found in the memo, and commits listed and hashed (this object's). */
  readonly counts = { memoised: 0, computed: 0 };

  constructor(
    private readonly repoPath: string,
    private readonly memo: TreeDigestMemo,
    private readonly files: FileDigests,
  ) {}

  /**
   * Path -> digest of every regular file of `commits` layered in order (a
   * later commit's file replaces an earlier one's), or undefined when one
   * of them cannot be listed (then none can be trusted for the layered tree).
   */
  async union(commits: readonly string[]): Promise<Map<string, Digest> | undefined> {
    const lists = await Promise.all(this.filesOfAll(commits));
    const union = new Map<string, Digest>();
    for (const list of lists) {
      if (!list) return undefined;
      for (const file of list) union.set(file.path, file.digest);
    }
    return union;
  }

  /** Starts loading the files of `commits` (as `union` would), for a later `union` to find them ready. */
  async preload(commits: readonly string[]): Promise<void> {
    await Promise.all(this.filesOfAll(commits));
  }

  /** A file of the repository holding the content of digest `hash`, if one was seen. */
  localContent(hash: string): string | undefined {
    const object = this.byContent.get(hash);
    return object ? this.objectPath(object) : undefined;
  }

  /** The files of each of `commits` (undefined for one that cannot be listed), each loaded once per run. */
  private filesOfAll(commits: readonly string[]): Promise<MemoFile[] | undefined>[] {
    return commits.map((commit) => remembered(this.commits, commit, () => this.load(commit)));
  }

  /** The files of `commit`: from the memo, else listed from the repository, hashed and memoised. */
  private async load(commit: string): Promise<MemoFile[] | undefined> {
    const memoised = await this.memo.read(commit);
    if (memoised) {
      this.counts.memoised++;
      for (const file of memoised) this.byContent.set(file.digest.hash, file.object);
      return memoised;
    }
    const listed = commitFiles(this.repoPath, commit);
    if (!listed) return undefined;
    const files: MemoFile[] = [];
    // A commit may hold thousands of files (88 MiB of toolchain hashed in one go held morph's thread
    // 0.7 s): the event loop gets a turn every few milliseconds.
    const turns = new TurnTaker();
    for (const file of listed) {
      const digest = await this.objectDigest(file.object);
      // A symbolic link (its object is one, in a bare repository) is not memoised: the walk sees it.
      if (digest) files.push({ path: file.path, object: file.object, digest });
      await turns.maybeYield();
    }
    this.counts.computed++;
    await this.memo.write(commit, files);
    return files;
  }

  /** The digest of a content object, or undefined for a symbolic link (hashed once per run). */
  private objectDigest(object: string): Promise<Digest | undefined> {
    return remembered(this.objects, object, async () => {
      const path = this.objectPath(object);
      const digest = lstatSync(path).isFile() ? await this.files.hash(path) : undefined;
      if (digest) this.byContent.set(digest.hash, object);
      return digest;
    });
  }

  private objectPath(object: string): string {
    return join(this.repoPath, 'objects', object.slice(0, 2), `${object.slice(2)}.file`);
  }
}
