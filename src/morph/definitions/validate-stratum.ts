import { definitionError } from './definition-error.js';
import { isMapping, type Mapping, show, typeName } from './yaml-values.js';

/**
 * Validates the stratum-specific fields of a loaded stratum morphology
 * (docs/spec/morph.md 4.5).
 *
 * @throws MorphError `definitions/` `no-chunks`, `invalid-type`,
 *   `missing-field`, `depends-on-self`, `no-build-depends`,
 *   `chunk-no-build-depends`, `missing-ref`, `ref-not-string` or `duplicate-chunk`.
 */
export function validateStratum(doc: Mapping, file: string): void {
  const name = String(doc.name);
  const chunks = doc.chunks ?? [];
  if (!Array.isArray(chunks)) {
    throw definitionError(
      'invalid-type',
      `Stratum ${name} chunks must be a list, got ${typeName(chunks)}`,
      file,
      doc,
      'chunks',
    );
  }
  if (chunks.length === 0) {
    throw definitionError('no-chunks', `Stratum ${name} has no chunks in ${file}`, file, doc, 'chunks');
  }
  chunks.forEach((spec, index) => {
    if (!isMapping(spec)) {
      throw definitionError(
        'invalid-type',
        `Stratum ${name} chunks[${index}] must be a mapping`,
        file,
        chunks,
        index,
      );
    }
    if (typeof spec.name !== 'string') {
      const reason = 'name' in spec ? 'invalid-type' : 'missing-field';
      throw definitionError(
        reason,
        `Missing or invalid field chunks[${index}].name in stratum ${name}`,
        file,
        chunks,
        index,
      );
    }
  });
  const specs = chunks as Mapping[];

  if ('build-depends' in doc) {
    const deps = doc['build-depends'];
    if (!Array.isArray(deps)) {
      throw definitionError(
        'invalid-type',
        `Field build-depends of stratum ${name} must be a list, got ${typeName(deps)}`,
        file,
        doc,
        'build-depends',
      );
    }
    deps.forEach((dep, index) => {
      if (!isMapping(dep) || typeof dep.morph !== 'string') {
        throw definitionError(
          'missing-field',
          `Missing field build-depends[${index}].morph in stratum ${name}`,
          file,
          deps,
          index,
        );
      }
      if (dep.morph === file) {
        throw definitionError(
          'depends-on-self',
          `Stratum ${name} build-depends on itself`,
          file,
          deps,
          index,
        );
      }
    });
  } else if (!specs.some((spec) => spec['build-mode'] === 'bootstrap' || spec['build-mode'] === 'test')) {
    throw definitionError(
      'no-build-depends',
      `Stratum ${name} has no build dependencies in ${file}`,
      file,
      doc,
    );
  }

  const seen = new Set<string>();
  for (const spec of specs) {
    const chunk = String(spec.alias ?? spec.name);
    if (!('build-depends' in spec)) {
      throw definitionError(
        'chunk-no-build-depends',
        `Stratum ${name} has no build dependencies for chunk ${chunk} in ${file}`,
        file,
        spec,
      );
    }
    const deps = spec['build-depends'];
    if (!Array.isArray(deps) || !deps.every((dep) => typeof dep === 'string')) {
      throw definitionError(
        'invalid-type',
        `Field build-depends of chunk ${chunk} in stratum ${name} must be a list of chunk names`,
        file,
        spec,
        'build-depends',
      );
    }
    if (!('ref' in spec) || spec.ref === null) {
      throw definitionError(
        'missing-ref',
        `chunk ${chunk} has no ref: set chunks[${specs.indexOf(spec)}].ref to a branch, tag or commit of ${show(spec.repo ?? spec.name)}`,
        file,
        spec,
        'ref' in spec ? 'ref' : undefined,
      );
    }
    if (typeof spec.ref !== 'string') {
      throw definitionError(
        'ref-not-string',
        `Chunk ${chunk} reference '${show(spec.ref)}' is not a quoted string in ${file}`,
        file,
        spec,
        'ref' in spec ? 'ref' : undefined,
      );
    }
    if ('artifacts' in spec) validateArtifactMap(spec, chunk, name, file);
    if (seen.has(chunk)) {
      throw definitionError('duplicate-chunk', `Duplicate chunk ${chunk} in stratum ${name}`, file, spec);
    }
    seen.add(chunk);
  }
}

function validateArtifactMap(spec: Mapping, chunk: string, stratum: string, file: string): void {
  const artifacts = spec.artifacts;
  if (!isMapping(artifacts) || !Object.values(artifacts).every((value) => typeof value === 'string')) {
    throw definitionError(
      'invalid-type',
      `Field artifacts of chunk ${chunk} in stratum ${stratum} must map chunk artifact names to stratum artifact names`,
      file,
      spec,
      'artifacts',
    );
  }
}
