import assert from 'node:assert';
import { createHash, type Hash } from 'node:crypto';
import type { ByteString, ChunkCommandField } from '../model.js';

/** A value that may appear in a cache_id: JSON-like, plus byte strings from `!!binary`. */
export type CacheIdValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | Uint8Array
  | readonly CacheIdValue[]
  | { readonly [key: string]: CacheIdValue };

/** `{artifact, cache-key}` of one dependency artifact, in dependency order. */
export interface CacheIdKid {
  artifact: string;
  'cache-key': string;
}

/** The fields every cache_id has (docs/spec/morph.md 5.6). */
export interface CommonCacheId {
  /**
   * `LC_ALL`, `LOGNAME`, `MORPH_ARCH`, `SOURCE_DATE_EPOCH`, `TARGET`,
   * `TARGET_STAGE1`, `TZ`, `USER`, `USERNAME` of the build environment.
   */
  env: Record<string, string>;
  kids: CacheIdKid[];
  'metadata-version': 1;
  /** The umask of build commands, four octal digits (`0022`). */
  'build-umask': string;
}

/** A chunk source's cache_id. */
export type ChunkCacheId = CommonCacheId & {
  'build-mode': string;
  prefix: string;
  /** Git tree SHA of the chunk's commit. */
  tree: string;
  /** `[artifact, [pattern, ...]]` for each file rule, in order. */
  'split-rules': [string, string[]][];
  devices: CacheIdValue;
  'max-jobs': number | null;
  'system-integration': CacheIdValue;
} & Record<ChunkCommandField, ByteString[]>;

/** A stratum source's cache_id: its morphology minus description/build-depends/chunks/products. */
export type StratumCacheId = CommonCacheId & {
  'stratum-format-version': 1;
  [field: string]: CacheIdValue;
};

/** A system source's cache_id: its morphology minus description/strata. */
export type SystemCacheId = CommonCacheId & {
  'system-compatibility-version': '2~ (upgradable, root rw)';
  [field: string]: CacheIdValue;
};

/** Any cache_id. */
export type CacheId = ChunkCacheId | StratumCacheId | SystemCacheId;

/**
 * The cache key of a cache_id: lowercase hex SHA-256 of its canonical
 * serialisation, as the original computes it (docs/spec/morph.md 5.6): a mapping
 * feeds, for each entry in key order, the key then the value; a list feeds
 * its items in order; a scalar feeds its Python `str()` (`None`, `True`,
 * `False`, decimal ints); strings feed their UTF-8 bytes and byte strings
 * their raw bytes. Nothing separates the parts.
 */
export function computeCacheKey(cacheId: CacheId | Readonly<Record<string, unknown>>): string {
  const hash = createHash('sha256');
  feed(hash, cacheId);
  return hash.digest('hex');
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function feed(hash: Hash, value: unknown): void {
  if (value instanceof Uint8Array) {
    hash.update(value);
  } else if (Array.isArray(value)) {
    for (const item of value) feed(hash, item);
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort(compareUtf8);
    for (const key of keys) {
      hash.update(key, 'utf8');
      feed(hash, (value as Record<string, unknown>)[key]);
    }
  } else {
    hash.update(pythonStr(value), 'utf8');
  }
}

/** Python 2's `str()` of a scalar. */
export function pythonStr(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'True' : 'False';
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isInteger(value) ? BigInt(value).toString() : pythonFloatStr(value);
    case 'undefined':
      return 'None';
    default:
      assert(value === null, `BUG: cannot hash a ${typeof value} in a cache_id`);
      return 'None';
  }
}

/** Python 2's `str(float)`: `%.12g`, with `.0` added to integral results. */
function pythonFloatStr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const [mantissa = '0', exponentText = '0'] = value.toExponential(11).split('e');
  const exponent = Number(exponentText);
  const trim = (digits: string): string => (digits.includes('.') ? digits.replace(/\.?0+$/, '') : digits);
  if (exponent < -4 || exponent >= 12) {
    const sign = exponent < 0 ? '-' : '+';
    return `${trim(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const fixed = trim(value.toFixed(Math.max(0, 11 - exponent)));
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}
