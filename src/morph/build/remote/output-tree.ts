import { chmodSync, copyFileSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MorphError } from '../../errors.js';
import { inBatches } from './calls-in-flight.js';
import { DEFAULT_DIRECTORY_MODE, defaultFileMode } from './canonical-messages.js';
import { type Digest, digestOf } from './digest.js';
import { readFields } from './proto-reader.js';
import { fromWire, type ReapiClient } from './reapi-client.js';
import type { WireDirectory } from './reapi-messages.js';
import type { ReapiProtos } from './reapi-protos.js';

/** What fetching an output tree cost. */
export interface FetchStats {
  blobsFetched: number;
  bytesFetched: number;
  /** Output bytes copied from files of the local cache instead of fetched. */
  bytesLocal: number;
}

/** Local copies up to this size are made without yielding (see `materialiseOutputTree`). */
const WRITE_AT_ONCE = 1024 * 1024;

/**
 * Fetches blobs by digest: small ones together (BatchReadBlobs, up to
 * `maxBatchBytes` a call), large ones through ByteStream, several calls at once; every blob is
 * re-hashed, so a corrupt download fails instead of entering the cache.
 */
export async function fetchBlobs(
  client: ReapiClient,
  digests: readonly Digest[],
  maxBatchBytes: number,
  stats: FetchStats,
): Promise<Map<string, Buffer>> {
  const unique = [...new Map(digests.map((d) => [d.hash, d])).values()];
  const blobs = new Map<string, Buffer>();
  for (const digest of unique) if (digest.sizeBytes === 0) blobs.set(digest.hash, Buffer.alloc(0));
  await inBatches(
    unique.filter((digest) => digest.sizeBytes > 0),
    maxBatchBytes,
    {
      size: (digest) => digest.sizeBytes,
      batch: async (batch) => {
        for (const [hash, data] of await client.batchRead(batch)) blobs.set(hash, data);
      },
      single: async (digest) => {
        blobs.set(digest.hash, await client.byteStreamRead(digest));
      },
    },
  );
  for (const digest of unique) {
    const data = blobs.get(digest.hash);
    const actual = data && digestOf(data);
    if (!actual || actual.hash !== digest.hash || actual.sizeBytes !== digest.sizeBytes) {
      throw new MorphError(
        'build',
        'remote-failed',
        `the remote execution service sent a corrupt blob for ${digest.hash}`,
      );
    }
    stats.blobsFetched++;
    stats.bytesFetched += digest.sizeBytes;
  }
  return blobs;
}

/**
 * Writes the output directory whose `Tree` has the digest `treeDigest` into
 * `dest` (an existing, empty directory): directories, files with their
 * permission bits (`unix_mode` when the engine sent it, else 0644 or 0755),
 * and symbolic links. A file whose content `local` names a local file for
 * (an artifact cache object of known digest) is copied from there instead
 * of fetched. The blobs `alsoFetch` (the action's logs) are fetched with
 * the `Tree`, in the same call, and returned by hash.
 */
export async function materialiseOutputTree(options: {
  client: ReapiClient;
  protos: ReapiProtos;
  treeDigest: Digest;
  dest: string;
  maxBatchBytes: number;
  stats: FetchStats;
  local?: (hash: string) => string | undefined;
  alsoFetch?: readonly Digest[];
}): Promise<Map<string, Buffer>> {
  const { client, protos, stats } = options;
  const first = await fetchBlobs(
    client,
    [options.treeDigest, ...(options.alsoFetch ?? [])],
    options.maxBatchBytes,
    stats,
  );
  const treeBytes = first.get(options.treeDigest.hash) as Buffer;
  const type = protos.type('build.bazel.remote.execution.v2.Directory');
  const decode = (bytes: Buffer): WireDirectory =>
    type.toObject(type.decode(bytes), { longs: String, bytes: Buffer }) as WireDirectory;
  const fields = readFields(treeBytes);
  const root = fields.find((f) => f.field === 1)?.bytes ?? Buffer.alloc(0);
  const children = new Map<string, WireDirectory>();
  for (const child of fields.filter((f) => f.field === 2)) {
    const bytes = child.bytes ?? Buffer.alloc(0);
    children.set(digestOf(bytes).hash, decode(bytes));
  }
  // Every file of the tree, fetched once per content.
  const wanted: Digest[] = [];
  const collect = (dir: WireDirectory): void => {
    for (const file of dir.files ?? []) wanted.push(fromWire(file.digest ?? {}));
    for (const sub of dir.directories ?? []) {
      const child = children.get(sub.digest?.hash ?? '');
      if (child) collect(child);
    }
  };
  const rootDir = decode(root);
  collect(rootDir);
  const { found, missing } = findLocal(wanted, options.local);
  const contents = await fetchBlobs(client, missing, options.maxBatchBytes, stats);
  // Small files are written with synchronous calls: an output tree is mostly small files, and each
  // asynchronous call costs morph's thread a thread-pool round trip and a promise, several times the
  // system call. A large copy from the local cache is left to the kernel without holding the thread.
  const write = async (dir: WireDirectory, path: string): Promise<void> => {
    for (const file of dir.files ?? []) {
      const target = join(path, safeName(file.name));
      const digest = fromWire(file.digest ?? {});
      const localPath = found.get(digest.hash);
      if (localPath) {
        if (digest.sizeBytes <= WRITE_AT_ONCE) copyFileSync(localPath, target);
        else await copyFile(localPath, target);
        stats.bytesLocal += digest.sizeBytes;
      } else writeFileSync(target, contents.get(digest.hash) ?? Buffer.alloc(0));
      chmodSync(
        target,
        file.node_properties?.unix_mode?.value ?? defaultFileMode(file.is_executable === true),
      );
    }
    for (const link of dir.symlinks ?? []) symlinkSync(link.target ?? '', join(path, safeName(link.name)));
    for (const sub of dir.directories ?? []) {
      const child = children.get(sub.digest?.hash ?? '');
      if (!child) {
        throw new MorphError(
          'build',
          'remote-failed',
          `the output tree lacks the directory ${sub.name ?? ''}`,
        );
      }
      const target = join(path, safeName(sub.name));
      mkdirSync(target);
      await write(child, target);
    }
    chmodSync(path, dir.node_properties?.unix_mode?.value ?? DEFAULT_DIRECTORY_MODE);
  };
  await write(rootDir, options.dest);
  return first;
}

/**
 * The local files holding contents of `wanted` (objects of the cache, whose
 * digests were hashed from them for the memo: immutable, so only their
 * size is checked), and the digests to fetch.
 */
function findLocal(
  wanted: readonly Digest[],
  local: ((hash: string) => string | undefined) | undefined,
): { found: Map<string, string>; missing: Digest[] } {
  const found = new Map<string, string>();
  const missing: Digest[] = [];
  for (const digest of wanted) {
    if (found.has(digest.hash)) continue;
    const path = digest.sizeBytes > 0 ? local?.(digest.hash) : undefined;
    // Gone (gc) or not of that size: fetched instead.
    const stats = path ? lstatSync(path, { throwIfNoEntry: false }) : undefined;
    if (path && stats?.isFile() && stats.size === digest.sizeBytes) found.set(digest.hash, path);
    else missing.push(digest);
  }
  return { found, missing };
}

/** A directory entry's name, refused when it would step out of its directory. */
function safeName(name: string | undefined): string {
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new MorphError(
      'build',
      'remote-failed',
      `the output tree has an invalid entry name: ${JSON.stringify(name)}`,
    );
  }
  return name;
}
