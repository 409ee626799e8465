import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ifPresentSync } from '../../../shared/if-present.js';

/** A file (content object) of a commit's tree. */
export interface CommitFile {
  /** Its path in the tree, relative (`usr/bin/gcc`). */
  readonly path: string;
  /** The checksum of its content object (`objects/xx/yyy.file`). */
  readonly object: string;
}

/**
 * The files of `commit` in the OSTree repository `repoPath` (bare or
 * bare-user), read from the commit and dirtree objects directly, without
 * an `ostree` process (which costs tens of milliseconds of CPU to start,
 * per commit). Every object read is checked against its checksum (the
 * SHA-256 of its bytes), so a corrupt or misread object gives undefined,
 * never a wrong list; undefined also when an object is missing or does
 * not parse. "Files" are OSTree's: symbolic links are among them.
 */
export function commitFiles(repoPath: string, commit: string): CommitFile[] | undefined {
  // Objects are small: each read with one synchronous call (an asynchronous one costs morph's thread more).
  const read = (checksum: string, kind: 'commit' | 'dirtree'): Buffer | undefined => {
    const path = join(repoPath, 'objects', checksum.slice(0, 2), `${checksum.slice(2)}.${kind}`);
    const bytes = ifPresentSync(() => readFileSync(path));
    return bytes && createHash('sha256').update(bytes).digest('hex') === checksum ? bytes : undefined;
  };
  const commitBytes = read(commit, 'commit');
  const root = commitBytes && rootTreeOf(commitBytes);
  if (!root) return undefined;
  const files: CommitFile[] = [];
  const walk = (tree: string, prefix: string): boolean => {
    const bytes = read(tree, 'dirtree');
    const parsed = bytes && parseDirtree(bytes);
    if (!parsed) return false;
    for (const file of parsed.files) files.push({ path: prefix + file.name, object: file.checksum });
    for (const dir of parsed.dirs) if (!walk(dir.checksum, `${prefix}${dir.name}/`)) return false;
    return true;
  };
  return walk(root, '') ? files : undefined;
}

/*
 * GVariant serialisation (the normal form OSTree writes): variable-size
 * members of a tuple other than the last one have their end offsets
 * appended to the tuple, last member's first... reversed (the first
 * member's offset is the tuple's last bytes); an array of variable-size
 * elements is followed by the end offset of each element. Offsets are 1,
 * 2, 4 or 8 bytes wide, little-endian, by the size of their container.
 */

/** The width of the framing offsets of a container of `size` bytes. */
function offsetSize(size: number): number {
  if (size <= 0xff) return 1;
  if (size <= 0xffff) return 2;
  if (size <= 0xffffffff) return 4;
  return 8;
}

/** The offset stored at `at` in `bytes`, `width` wide; undefined past the end. */
function offsetAt(bytes: Buffer, at: number, width: number): number | undefined {
  if (at < 0 || at + width > bytes.length) return undefined;
  return width === 8 ? Number(bytes.readBigUInt64LE(at)) : bytes.readUIntLE(at, width);
}

/** The end offsets of a tuple's first `count` variable-size members (in member order). */
function tupleOffsets(bytes: Buffer, count: number): number[] | undefined {
  const width = offsetSize(bytes.length);
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) {
    const offset = offsetAt(bytes, bytes.length - (i + 1) * width, width);
    if (offset === undefined || offset > bytes.length - count * width) return undefined;
    offsets.push(offset);
  }
  return offsets;
}

/** The elements of an array of variable-size elements. */
function arrayElements(bytes: Buffer): Buffer[] | undefined {
  if (bytes.length === 0) return [];
  const width = offsetSize(bytes.length);
  const tableStart = offsetAt(bytes, bytes.length - width, width);
  if (tableStart === undefined || tableStart > bytes.length || (bytes.length - tableStart) % width !== 0) {
    return undefined;
  }
  const elements: Buffer[] = [];
  let start = 0;
  for (let at = tableStart; at < bytes.length; at += width) {
    const end = offsetAt(bytes, at, width);
    if (end === undefined || end < start || end > tableStart) return undefined;
    elements.push(bytes.subarray(start, end));
    start = end;
  }
  return elements;
}

/** A NUL-terminated string member, refused unless it is a plain file name. */
function nameOf(bytes: Buffer): string | undefined {
  if (bytes.length < 2 || bytes[bytes.length - 1] !== 0) return undefined;
  const name = bytes.subarray(0, bytes.length - 1).toString('utf8');
  return name.includes('\0') || name.includes('/') || name === '.' || name === '..' ? undefined : name;
}

/** A 32-byte checksum member, as hex. */
function checksumOf(bytes: Buffer): string | undefined {
  return bytes.length === 32 ? bytes.toString('hex') : undefined;
}

/**
 * The root dirtree checksum of a commit object, `(a{sv}aya(say)sstayay)`:
 * metadata, parent, related, subject, body, timestamp, root tree, root dirmeta.
 */
export function rootTreeOf(bytes: Buffer): string | undefined {
  // Variable-size members before the last: 0-4 and 6 (5, the timestamp, has a fixed size).
  const offsets = tupleOffsets(bytes, 6);
  if (!offsets) return undefined;
  const bodyEnd = offsets[4] as number;
  const treeStart = Math.ceil(bodyEnd / 8) * 8 + 8;
  const treeEnd = offsets[5] as number;
  return treeEnd >= treeStart ? checksumOf(bytes.subarray(treeStart, treeEnd)) : undefined;
}

/** A dirtree object, `(a(say)a(sayay))`: files (name, content checksum) and directories (name, tree, meta). */
export function parseDirtree(
  bytes: Buffer,
): { files: { name: string; checksum: string }[]; dirs: { name: string; checksum: string }[] } | undefined {
  const offsets = tupleOffsets(bytes, 1);
  if (!offsets) return undefined;
  const width = offsetSize(bytes.length);
  const fileElements = arrayElements(bytes.subarray(0, offsets[0]));
  const dirElements = arrayElements(bytes.subarray(offsets[0], bytes.length - width));
  if (!fileElements || !dirElements) return undefined;
  const files: { name: string; checksum: string }[] = [];
  for (const element of fileElements) {
    const [nameEnd] = tupleOffsets(element, 1) ?? [];
    if (nameEnd === undefined) return undefined;
    const name = nameOf(element.subarray(0, nameEnd));
    const checksum = checksumOf(element.subarray(nameEnd, element.length - offsetSize(element.length)));
    if (!name || !checksum) return undefined;
    files.push({ name, checksum });
  }
  const dirs: { name: string; checksum: string }[] = [];
  for (const element of dirElements) {
    const [nameEnd, treeEnd] = tupleOffsets(element, 2) ?? [];
    if (nameEnd === undefined || treeEnd === undefined || treeEnd < nameEnd) return undefined;
    const name = nameOf(element.subarray(0, nameEnd));
    const checksum = checksumOf(element.subarray(nameEnd, treeEnd));
    if (!name || !checksum) return undefined;
    dirs.push({ name, checksum });
  }
  return { files, dirs };
}
