import { isScalar, type Pair, stringify } from 'yaml';
import { writeFileAtomic } from '../../shared/atomic-file.js';
import { MorphError } from '../errors.js';
import type { Morphology } from '../model.js';
import { unsetDefaults } from './defaults.js';
import { pyyamlTags } from './pyyaml-schema.js';
import type { Mapping } from './yaml-values.js';

/** Mapping keys in the order saved files list them (docs/spec/morph.md 4.8); others follow alphabetically. */
export const KEY_ORDER: readonly string[] = [
  'name',
  'kind',
  'description',
  'arch',
  'strata',
  'configuration-extensions',
  'morph',
  'repo',
  'ref',
  'unpetrify-ref',
  'build-depends',
  'build-mode',
  'artifacts',
  'max-jobs',
  'products',
  'chunks',
  'build-system',
  'pre-configure-commands',
  'configure-commands',
  'post-configure-commands',
  'pre-build-commands',
  'build-commands',
  'post-build-commands',
  'pre-install-commands',
  'install-commands',
  'post-install-commands',
  'artifact',
  'include',
  'systems',
  'deploy-defaults',
  'deploy',
  'type',
  'location',
];

const rank = new Map(KEY_ORDER.map((key, index) => [key, index]));

function keyOf(pair: Pair): string {
  return String(isScalar(pair.key) ? pair.key.value : pair.key);
}

/** Orders mapping keys: the listed ones first, in list order, then the rest by code point. */
export function compareKeys(a: string, b: string): number {
  const ra = rank.get(a) ?? KEY_ORDER.length;
  const rb = rank.get(b) ?? KEY_ORDER.length;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A deep copy that keeps `Buffer`s as Buffers (structuredClone would not). */
function copy(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(copy);
  if (value !== null && typeof value === 'object') {
    const out: Mapping = {};
    for (const [key, item] of Object.entries(value)) out[key] = copy(item);
    return out;
  }
  return value;
}

/**
 * Serialises a morphology as the original saves it (docs/spec/morph.md 4.8): values
 * equal to their defaults are left out, keys are ordered, multi-line
 * strings use literal block style and byte strings are written as
 * `!!binary`, so load → save → load gives back the same values (and cache
 * keys). `m` itself is not modified.
 */
export function saveMorphology(m: Morphology): string {
  const doc = copy(m) as Mapping;
  unsetDefaults(doc, m.kind);
  return stringify(doc, {
    version: '1.1',
    schema: 'yaml-1.1',
    customTags: pyyamlTags,
    sortMapEntries: (a, b) => compareKeys(keyOf(a), keyOf(b)),
    blockQuote: 'literal',
    lineWidth: 100000,
    minContentWidth: 0,
    indentSeq: false,
    aliasDuplicateObjects: false,
    defaultStringType: 'PLAIN',
    defaultKeyType: 'PLAIN',
  });
}

/**
 * Saves a morphology to `path` atomically (temp file in the same directory,
 * then rename).
 *
 * @throws MorphError `definitions/write-failed` when the file cannot be written.
 */
export async function writeMorphology(path: string, m: Morphology): Promise<void> {
  try {
    await writeFileAtomic(path, saveMorphology(m));
  } catch (cause) {
    throw new MorphError('definitions', 'write-failed', `Cannot write morphology ${path}: ${String(cause)}`, {
      cause,
    });
  }
}
