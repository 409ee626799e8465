import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ifPresentSync, readdirSyncIfPresent } from '../../shared/if-present.js';

const SHA1 = /^[0-9a-f]{40}$/;
const IDX_MAGIC = 0xff744f63;
const FANOUT = 8;
const NAMES = FANOUT + 256 * 4;

/**
 * True when the bare repository at `gitDir` holds object `oid` (40 hex)
 * itself, loose or in a pack (version 2 `.idx` files), found without
 * running git. False means "not found this way": the object may still be
 * reachable through alternates or in a format not read here, so ask git.
 */
export function hasObjectFile(gitDir: string, oid: string): boolean {
  if (!SHA1.test(oid)) return false;
  const objects = join(gitDir, 'objects');
  if (existsSync(join(objects, oid.slice(0, 2), oid.slice(2)))) return true;
  const packs = readdirSyncIfPresent(join(objects, 'pack')).filter((name) => name.endsWith('.idx'));
  const name = Buffer.from(oid, 'hex');
  return packs.some((idx) => packIndexHas(join(objects, 'pack', idx), name));
}

/** Binary search of a version 2 pack index for a 20-byte object name (reading only what it needs). */
function packIndexHas(path: string, name: Buffer): boolean {
  // Gone since the listing: a concurrent `git repack` replaced it.
  const fd = ifPresentSync(() => openSync(path, 'r'));
  if (fd === undefined) return false;
  try {
    const size = statSync(path).size;
    const header = Buffer.alloc(NAMES);
    if (readSync(fd, header, 0, NAMES, 0) !== NAMES) return false;
    if (header.readUInt32BE(0) !== IDX_MAGIC || header.readUInt32BE(4) !== 2) return false;
    const first = name[0] as number;
    let low = first === 0 ? 0 : header.readUInt32BE(FANOUT + (first - 1) * 4);
    let high = header.readUInt32BE(FANOUT + first * 4);
    const total = header.readUInt32BE(FANOUT + 255 * 4);
    if (high > total || NAMES + total * 20 > size) return false;
    const entry = Buffer.alloc(20);
    while (low < high) {
      const middle = (low + high) >>> 1;
      readSync(fd, entry, 0, 20, NAMES + middle * 20);
      const order = entry.compare(name);
      if (order === 0) return true;
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    return false;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
