import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
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

/**
 * The Merkle tree of the directory `dir`: regular files (with their
 * permission bits), directories and symbolic links; device nodes, FIFOs and
 * sockets have no REAPI form and are left out (the sandbox's `/dev` is
 * bwrap's own, as in a local build).
 */
export async function merkleTreeOf(
  dir: string,
  files: FileDigests,
  options: TreeDigestOptions = {},
): Promise<MerkleTree> {
  const { memo = true, known } = options;
  const blobs = new BlobSet();
  const walk = async (path: string, mode: number): Promise<{ digest: Digest; content: DirectoryContent }> => {
    const names = (await readdir(path)).sort();
    const entries = await Promise.all(
      names.map(async (name) => {
        const child = join(path, name);
        const stats = await lstat(child);
        if (stats.isDirectory()) {
          const sub = await walk(child, stats.mode & 0o7777);
          return { kind: 'dir' as const, entry: { name, digest: sub.digest } };
        }
        if (stats.isSymbolicLink())
          return { kind: 'link' as const, entry: { name, target: await readlink(child) } };
        if (!stats.isFile()) return undefined;
        const hint = known && stats.nlink > 1 ? known.get(relative(dir, child)) : undefined;
        const digest = hint?.sizeBytes === stats.size ? hint : await files.of(child, stats, memo);
        blobs.add({ digest, path: child });
        const executable = (stats.mode & 0o100) !== 0;
        return { kind: 'file' as const, entry: { name, digest, executable, mode: stats.mode & 0o7777 } };
      }),
    );
    const content = {
      files: [] as FileEntry[],
      directories: [] as DirectoryEntry[],
      symlinks: [] as SymlinkEntry[],
      mode,
    };
    for (const item of entries) {
      if (item?.kind === 'file') content.files.push(item.entry);
      else if (item?.kind === 'dir') content.directories.push(item.entry);
      else if (item?.kind === 'link') content.symlinks.push(item.entry);
    }
    return { digest: addDirectory(blobs, content), content };
  };
  const rootStats = await lstat(dir);
  const { digest, content } = await walk(dir, rootStats.mode & 0o7777);
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
