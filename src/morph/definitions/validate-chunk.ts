import { CHUNK_COMMAND_FIELDS } from '../model.js';
import { lookupBuildSystem } from './build-systems.js';
import { definitionError } from './definition-error.js';
import { isByteString, isMapping, type Mapping, typeName } from './yaml-values.js';

/**
 * Validates the chunk-specific fields of a loaded chunk morphology (docs/spec/morph.md
 * 4.3). Explicit `null` command lists become empty lists, `max-jobs` is
 * coerced to an int and an empty `system-integration` list becomes `{}`.
 *
 * @throws MorphError `definitions/invalid-products`, `invalid-type` or
 *   `unknown-build-system`.
 */
export function validateChunk(doc: Mapping, file: string): void {
  const name = String(doc.name);
  const buildSystem = 'build-system' in doc ? doc['build-system'] : 'manual';
  if (typeof buildSystem !== 'string' || lookupBuildSystem(buildSystem) === undefined) {
    throw definitionError(
      'unknown-build-system',
      `Undefined build system ${String(buildSystem)} in morphology ${file}`,
      file,
      doc,
      'build-system',
    );
  }
  for (const field of CHUNK_COMMAND_FIELDS) {
    if (!(field in doc)) continue;
    const commands = doc[field];
    if (commands === null) {
      doc[field] = [];
      continue;
    }
    if (!Array.isArray(commands) || !commands.every(isByteString)) {
      throw definitionError(
        'invalid-type',
        `Field ${field} of chunk ${name} must be a list of strings, got ${typeName(commands)}`,
        file,
        doc,
        field,
      );
    }
  }
  if ('products' in doc) validateProducts(doc.products, name, file, doc);
  if ('devices' in doc && !Array.isArray(doc.devices)) {
    throw definitionError(
      'invalid-type',
      `Field devices of chunk ${name} must be a list`,
      file,
      doc,
      'devices',
    );
  }
  if ('max-jobs' in doc) doc['max-jobs'] = coerceMaxJobs(doc, name, file);
  const integration = doc['system-integration'];
  if (Array.isArray(integration) && integration.length === 0) doc['system-integration'] = {};
  else if ('system-integration' in doc && !isMapping(integration)) {
    throw definitionError(
      'invalid-type',
      `Field system-integration of chunk ${name} must be a mapping, got ${typeName(integration)}`,
      file,
      doc,
      'system-integration',
    );
  }
}

/** Python's `int(x)` for the values YAML can give. */
function coerceMaxJobs(doc: Mapping, name: string, file: string): number | null {
  const value = doc['max-jobs'];
  if (value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  throw definitionError(
    'invalid-type',
    `Field max-jobs of chunk ${name} must be an integer, got ${typeName(value)}`,
    file,
    doc,
    'max-jobs',
  );
}

/**
 * Checks a chunk's `products`, collecting every problem and reporting them
 * all in one error.
 */
function validateProducts(products: unknown, name: string, file: string, doc: Mapping): void {
  const problems: string[] = [];
  if (!Array.isArray(products)) {
    problems.push(`products must be a list, not ${typeName(products)}`);
  } else {
    products.forEach((entry, index) => {
      const path = `products[${index}]`;
      if (!isMapping(entry)) {
        problems.push(`${path} must be a mapping, not ${typeName(entry)}`);
        return;
      }
      for (const key of ['artifact', 'include']) {
        if (!(key in entry)) problems.push(`${path}.${key} is missing`);
      }
      for (const key of Object.keys(entry)) {
        if (key !== 'artifact' && key !== 'include') problems.push(`${path}.${key} is not allowed`);
      }
      if ('artifact' in entry && typeof entry.artifact !== 'string') {
        problems.push(`${path}.artifact must be a string, not ${typeName(entry.artifact)}`);
      }
      if ('include' in entry) {
        const include = entry.include;
        if (!Array.isArray(include)) {
          problems.push(`${path}.include must be a list, not ${typeName(include)}`);
        } else {
          include.forEach((pattern, patternIndex) => {
            if (typeof pattern !== 'string') {
              problems.push(`${path}.include[${patternIndex}] must be a string, not ${typeName(pattern)}`);
            }
          });
        }
      }
    });
  }
  if (problems.length > 0) {
    throw definitionError(
      'invalid-products',
      `Invalid products in chunk ${name}: ${problems.join('; ')}`,
      file,
      doc,
      'products',
    );
  }
}
