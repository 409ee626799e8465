import type { ChunkMorphology, Morphology, MorphologyKind } from '../model.js';
import { detectBuildSystem } from './build-systems.js';
import { allowedFields, fillDefaults, REQUIRED_FIELDS } from './defaults.js';
import { definitionError } from './definition-error.js';
import { parseYaml } from './parse-yaml.js';
import { setProvenance } from './provenance.js';
import { validateChunk } from './validate-chunk.js';
import { validateCluster } from './validate-cluster.js';
import { validateStratum } from './validate-stratum.js';
import { validateSystem } from './validate-system.js';
import { isMapping, type Mapping, show } from './yaml-values.js';

const KINDS: readonly MorphologyKind[] = ['chunk', 'stratum', 'system', 'cluster'];
const OBSOLETE_SYSTEM_FIELDS = ['system-kind', 'disk-size'];

/** Options of `loadMorphology`. */
export interface LoadOptions {
  /** Collects non-fatal problems (obsolete keys dropped, ...), to be reported once by the caller. */
  warnings?: string[];
}

/**
 * Parses, validates and fills the defaults of a morphology (docs/spec/morph.md 4.1):
 * YAML 1.1 as PyYAML's safe_load reads it, then the common checks (4.2),
 * the kind's own checks (4.3-4.7), default commands of the build system and
 * static defaults. `file` names the morphology in errors and provenance
 * (`locationOf`, `fileOf`).
 *
 * @throws MorphError `definitions/` `syntax-error`, `not-a-mapping`,
 *   `missing-field`, `unknown-kind`, `obsolete-fields`, `field-not-allowed`,
 *   `invalid-type`, or a kind-specific reason (`invalid-products`,
 *   `unknown-build-system`, `no-chunks`, `no-build-depends`,
 *   `chunk-no-build-depends`, `missing-ref`, `ref-not-string`, `duplicate-chunk`,
 *   `depends-on-self`, `no-strata`, `duplicate-stratum`,
 *   `unknown-architecture`, `duplicate-deployment-names`).
 */
export function loadMorphology(data: string | Buffer, file: string, options: LoadOptions = {}): Morphology {
  const doc = parseYaml(data, file);
  if (!isMapping(doc)) {
    throw definitionError('not-a-mapping', `Not a dictionary: morphology ${file}`, file, undefined);
  }
  return validateMorphology(doc, file, options);
}

/**
 * Validates and fills the defaults of an already parsed morphology
 * document, in place, and returns it typed.
 *
 * @throws MorphError as `loadMorphology`, except `syntax-error`.
 */
export function validateMorphology(doc: Mapping, file: string, options: LoadOptions = {}): Morphology {
  if (!('kind' in doc)) {
    throw definitionError('missing-field', `Missing field kind from morphology ${file}`, file, doc);
  }
  const kind = doc.kind;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    throw definitionError(
      'unknown-kind',
      `Unknown kind ${show(kind)} in morphology ${file}`,
      file,
      doc,
      'kind',
    );
  }
  const morphKind = kind as MorphologyKind;
  for (const field of REQUIRED_FIELDS[morphKind]) {
    if (!(field in doc)) {
      throw definitionError('missing-field', `Missing field ${field} from morphology ${file}`, file, doc);
    }
  }
  if (typeof doc.name !== 'string') {
    throw definitionError(
      'invalid-type',
      `Field name must be a string in morphology ${file}`,
      file,
      doc,
      'name',
    );
  }
  if (morphKind === 'system') {
    const obsolete = OBSOLETE_SYSTEM_FIELDS.filter((field) => field in doc);
    if (obsolete.length > 0) {
      throw definitionError(
        'obsolete-fields',
        `Morphology ${file} uses obsolete fields: ${obsolete.join(', ')}`,
        file,
        doc,
        obsolete[0],
      );
    }
  }
  const allowed = allowedFields(morphKind);
  for (const field of Object.keys(doc)) {
    if (!allowed.has(field)) {
      throw definitionError(
        'field-not-allowed',
        `Field ${field} not allowed in morphology ${file}`,
        file,
        doc,
        field,
      );
    }
  }
  const warnings = options.warnings ?? [];
  switch (morphKind) {
    case 'chunk':
      validateChunk(doc, file);
      break;
    case 'stratum':
      validateStratum(doc, file);
      break;
    case 'system':
      validateSystem(doc, file, warnings);
      break;
    case 'cluster':
      validateCluster(doc, file);
      break;
  }
  fillDefaults(doc, morphKind);
  return doc as unknown as Morphology;
}

/**
 * The morphology morph synthesizes for a chunk whose repo has no
 * `<name>.morph` (docs/spec/morph.md 4.4): the build system is autodetected from the
 * top-level file names of the chunk's tree.
 *
 * @throws MorphError `definitions/morphology-not-found` when no build system
 *   recognises the tree.
 */
export function detectChunkMorphology(file: string, fileNames: readonly string[]): ChunkMorphology {
  const buildSystem = detectBuildSystem(fileNames);
  if (buildSystem === undefined) {
    throw definitionError('morphology-not-found', `Couldn't find morphology: ${file}`, file);
  }
  const name = (file.split('/').pop() ?? file).replace(/\.morph$/, '');
  const doc: Mapping = { name, kind: 'chunk', 'build-system': buildSystem };
  setProvenance(doc, { file, position: undefined, children: new Map() });
  return validateMorphology(doc, file) as ChunkMorphology;
}
