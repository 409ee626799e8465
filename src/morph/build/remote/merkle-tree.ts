import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TurnTaker } from '../../../shared/turn-taker.js';
import { BlobSet } from './blob-set.js';
import {
  type DirectoryContent,
  type DirectoryEntry,
  encodeDirectory,
  type FileEntry,
  type SymlinkEntry,
} from './canonical-messages.js';
import { type Digest, digestOf } from './digest.js';
import type { FileDigests } from './file-digests.js';

/** A directory as a Merkle tree of `Directory` messages: its root, and every blob under it. */
export interface MerkleTree {
  readonly root: Digest;
  /** The root `Directory`'s entries, so that trees can be combined without re-reading. */
  readonly content: DirectoryContent;
  /** Every `Directory` message (bytes) and file (path) of the tree, root included. */
  readonly blobs: BlobSet;
}

/** How `merkleTreeOf` finds file digests. */
export interface TreeDigestOptions {
  /** False hashes every file (`FileDigests.of`): for trees whose hard links may go during the run. */
  readonly memo?: boolean;
  /**
   * Digests by path relative to the tree, of files whose hard links into the
   * artifact cache put them there (`ArtifactDigests.union` of the commits
   * checked out into it): a file that is such a hard link (link count > 1)
   * and has the size given here is not read. Any other file is hashed.
   */
  readonly known?: ReadonlyMap<string, Digest>;
}

/** A directory as read by `readTree`: its entries, file digests still to come. */
interface ReadDirectory {
  readonly mode: number;
  readonly files: {
    name: string;
    path: string;
    digest: Promise<Digest> | Digest;
    executable: boolean;
    mode: number;
  }[];
  readonly directories: { name: string; dir: ReadDirectory }[];
  readonly symlinks: SymlinkEntry[];
}

/**
 * The Merkle tree of the directory `dir`: regular files (with their
 * permission bits), directories and symbolic links; device nodes, FIFOs and
 * sockets have no REAPI form and are left out (the sandbox's `/dev` is
 * bwrap's own, as in a local build). The tree is listed with synchronous
 * calls (one `readdir` per directory, one `lstat` per entry): a dependency
 * tree has thousands of entries, and each asynchronous call costs morph's
 * one thread ten times what the system call does (a round trip through
 * libuv's thread pool and a promise), so listing them one by one took
 * ~200 ms of CPU per tree of 2500 entries instead of ~20; the event loop
 * gets a turn every few milliseconds (`TurnTaker`). Files are then hashed
 * (or found in `known`) concurrently.
 */
export async function merkleTreeOf(
  dir: string,
  files: FileDigests,
  options: TreeDigestOptions = {},
): Promise<MerkleTree> {
  const { memo = true, known } = options;
  const turns = new TurnTaker();
  const read = async (path: string, mode: number): Promise<ReadDirectory> => {
    const listed: ReadDirectory = { mode, files: [], directories: [], symlinks: [] };
    for (const name of readdirSync(path).sort()) {
      // A tree of thousands of entries held morph's thread 50-130 ms: others' replies wait a slice at most.
      await turns.maybeYield();
      const child = join(path, name);
      const stats = lstatSync(child);
      if (stats.isDirectory()) {
        listed.directories.push({ name, dir: await read(child, stats.mode & 0o7777) });
      } else if (stats.isSymbolicLink()) {
        listed.symlinks.push({ name, target: readlinkSync(child) });
      } else if (stats.isFile()) {
        const hint = known && stats.nlink > 1 ? known.get(relative(dir, child)) : undefined;
        const digest = hint?.sizeBytes === stats.size ? hint : files.of(child, stats, memo);
        const executable = (stats.mode & 0o100) !== 0;
        listed.files.push({ name, path: child, digest, executable, mode: stats.mode & 0o7777 });
      }
    }
    return listed;
  };
  const blobs = new BlobSet();
  const encode = async (listed: ReadDirectory): Promise<{ digest: Digest; content: DirectoryContent }> => {
    const [fileEntries, dirEntries] = await Promise.all([
      Promise.all(
        listed.files.map(async (file): Promise<FileEntry> => {
          const digest = await file.digest;
          blobs.add({ digest, path: file.path });
          return { name: file.name, digest, executable: file.executable, mode: file.mode };
        }),
      ),
      Promise.all(
        listed.directories.map(
          async (sub): Promise<DirectoryEntry> => ({
            name: sub.name,
            digest: (await encode(sub.dir)).digest,
          }),
        ),
      ),
    ]);
    const content = {
      files: fileEntries,
      directories: dirEntries,
      symlinks: listed.symlinks,
      mode: listed.mode,
    };
    return { digest: addDirectory(blobs, content), content };
  };
  const { digest, content } = await encode(await read(dir, lstatSync(dir).mode & 0o7777));
  return { root: digest, content, blobs };
}

/** Encodes `content` as a `Directory`, adds it to `blobs` and returns its digest. */
export function addDirectory(blobs: BlobSet, content: DirectoryContent): Digest {
  const bytes = encodeDirectory(content);
  const digest = digestOf(bytes);
  blobs.add({ digest, bytes });
  return digest;
}

/** `base`'s entries with `add`'s on top: an entry of `add` replaces any entry of `base` of the same name. */
export function overlayContent(
  base: DirectoryContent,
  add: { files?: readonly FileEntry[]; directories?: readonly DirectoryEntry[] },
): DirectoryContent {
  const taken = new Set([...(add.files ?? []), ...(add.directories ?? [])].map((entry) => entry.name));
  return {
    files: [...base.files.filter((e) => !taken.has(e.name)), ...(add.files ?? [])],
    directories: [...base.directories.filter((e) => !taken.has(e.name)), ...(add.directories ?? [])],
    symlinks: base.symlinks.filter((e) => !taken.has(e.name)),
    mode: base.mode,
  };
}
