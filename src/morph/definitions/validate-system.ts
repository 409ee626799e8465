import { isArchitecture, normaliseArchitecture } from './architecture.js';
import { definitionError } from './definition-error.js';
import { isMapping, type Mapping, show, typeName } from './yaml-values.js';

/**
 * Validates the system-specific fields of a loaded system morphology
 * (docs/spec/morph.md 4.6): normalises `arch` (`armv7` → `armv7l`) and drops the
 * obsolete `repo`/`ref` keys of strata specs, with a warning.
 *
 * @throws MorphError `definitions/` `invalid-type`, `no-strata`,
 *   `missing-field`, `duplicate-stratum` or `unknown-architecture`.
 */
export function validateSystem(doc: Mapping, file: string, warnings: string[]): void {
  const name = String(doc.name);
  const strata = doc.strata;
  if (!Array.isArray(strata)) {
    throw definitionError(
      'invalid-type',
      `System ${name} has the wrong type for its strata: ${typeName(strata)}`,
      file,
      doc,
      'strata',
    );
  }
  if (strata.length === 0) {
    throw definitionError('no-strata', `System ${name} has no strata`, file, doc, 'strata');
  }
  const seen = new Set<string>();
  strata.forEach((spec, index) => {
    if (!isMapping(spec)) {
      throw definitionError(
        'invalid-type',
        `System ${name} strata[${index}] must be a mapping`,
        file,
        strata,
        index,
      );
    }
    if (typeof spec.morph !== 'string') {
      throw definitionError(
        'missing-field',
        `Missing field strata[${index}].morph in system ${name}`,
        file,
        strata,
        index,
      );
    }
    for (const obsolete of ['repo', 'ref']) {
      if (obsolete in spec) {
        warnings.push(`${file}: system ${name}: obsolete field ${obsolete} in strata[${index}] ignored`);
        delete spec[obsolete];
      }
    }
    if ('artifacts' in spec) {
      const artifacts = spec.artifacts;
      if (!Array.isArray(artifacts) || !artifacts.every((item) => typeof item === 'string')) {
        throw definitionError(
          'invalid-type',
          `Field strata[${index}].artifacts of system ${name} must be a list of artifact names`,
          file,
          spec,
          'artifacts',
        );
      }
    }
    const key = String(spec.alias ?? spec.morph);
    if (seen.has(key))
      throw definitionError('duplicate-stratum', `Duplicate stratum ${key} in system ${name}`, file, spec);
    seen.add(key);
  });
  const arch = normaliseArchitecture(show(doc.arch));
  if (!isArchitecture(arch)) {
    throw definitionError(
      'unknown-architecture',
      `Unknown architecture ${arch} in morphology ${file}`,
      file,
      doc,
      'arch',
    );
  }
  doc.arch = arch;
  const extensions = doc['configuration-extensions'];
  if ('configuration-extensions' in doc) {
    if (!Array.isArray(extensions) || !extensions.every((item) => typeof item === 'string')) {
      throw definitionError(
        'invalid-type',
        `Field configuration-extensions of system ${name} must be a list of names`,
        file,
        doc,
        'configuration-extensions',
      );
    }
  }
}
