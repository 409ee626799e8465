import { isDeepStrictEqual } from 'node:util';
import { CHUNK_COMMAND_FIELDS, type MorphologyKind } from '../model.js';
import { defaultCommands } from './build-systems.js';
import { isMapping, type Mapping } from './yaml-values.js';

/**
 * The fields each kind requires (besides `kind`) and the optional fields it
 * allows with their static defaults (docs/spec/morph.md 4.2-4.7). Chunk command lists
 * default from the build system instead (see `fillDefaults`).
 */
export const REQUIRED_FIELDS: Readonly<Record<MorphologyKind, readonly string[]>> = {
  chunk: ['name'],
  stratum: ['name'],
  system: ['name', 'arch', 'strata'],
  cluster: ['name', 'systems'],
};

/** Static defaults of the optional top-level fields, per kind. */
export const STATIC_DEFAULTS: Readonly<Record<MorphologyKind, Readonly<Record<string, unknown>>>> = {
  chunk: {
    description: '',
    'build-system': 'manual',
    devices: [],
    products: [],
    'max-jobs': null,
    'build-mode': 'staging',
    prefix: '/usr',
    'system-integration': {},
  },
  stratum: { description: '', 'build-depends': [], products: [], chunks: [] },
  system: { description: '', 'configuration-extensions': [] },
  cluster: { description: '' },
};

/** The top-level fields `kind` allows: `kind`, required, defaulted and (chunks) command fields. */
export function allowedFields(kind: MorphologyKind): Set<string> {
  const fields = new Set(['kind', ...REQUIRED_FIELDS[kind], ...Object.keys(STATIC_DEFAULTS[kind])]);
  if (kind === 'chunk') for (const field of CHUNK_COMMAND_FIELDS) fields.add(field);
  return fields;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * Fills the defaults of a validated morphology in place: chunk command lists
 * from the build system (missing keys only), then static defaults of
 * missing fields, then the defaults of nested specs (stratum chunk specs,
 * cluster entries).
 */
export function fillDefaults(doc: Mapping, kind: MorphologyKind): void {
  if (kind === 'chunk') {
    const buildSystem = String(doc['build-system'] ?? STATIC_DEFAULTS.chunk['build-system']);
    for (const field of CHUNK_COMMAND_FIELDS) {
      if (!(field in doc)) doc[field] = defaultCommands(buildSystem, field);
    }
  }
  for (const [field, value] of Object.entries(STATIC_DEFAULTS[kind])) {
    if (!(field in doc)) doc[field] = clone(value);
  }
  if (kind === 'stratum') {
    for (const spec of doc.chunks as Mapping[]) {
      if (!('repo' in spec)) spec.repo = spec.name;
      if (!('build-mode' in spec)) spec['build-mode'] = 'staging';
      if (!('prefix' in spec)) spec.prefix = '/usr';
    }
  }
  if (kind === 'cluster') fillClusterEntries(doc.systems as Mapping[]);
}

function fillClusterEntries(entries: Mapping[]): void {
  for (const entry of entries) {
    if (!('deploy' in entry)) entry.deploy = {};
    if (!('deploy-defaults' in entry)) entry['deploy-defaults'] = {};
    if (Array.isArray(entry.subsystems)) fillClusterEntries(entry.subsystems as Mapping[]);
  }
}

const equal = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a, b);

/**
 * Removes from `doc` (in place; pass a copy) the values equal to their
 * defaults, as the original does before saving (docs/spec/morph.md 4.8). A stratum's
 * empty `build-depends` is kept unless the stratum has a bootstrap or test
 * chunk, and a cluster entry's empty `deploy` is kept, so the saved file is
 * always valid on reload (the original drops both).
 */
export function unsetDefaults(doc: Mapping, kind: MorphologyKind): void {
  if (kind === 'chunk') {
    const buildSystem = String(doc['build-system'] ?? STATIC_DEFAULTS.chunk['build-system']);
    for (const field of CHUNK_COMMAND_FIELDS) {
      if (field in doc && equal(doc[field], defaultCommands(buildSystem, field))) delete doc[field];
    }
    // The original's default is an empty list; an empty mapping means the same.
    if (equal(doc['system-integration'], [])) delete doc['system-integration'];
  }
  if (kind === 'stratum') {
    const chunks = Array.isArray(doc.chunks) ? (doc.chunks as unknown[]).filter(isMapping) : [];
    for (const spec of chunks) {
      if (spec.repo === spec.name) delete spec.repo;
      if (spec['build-mode'] === 'staging') delete spec['build-mode'];
      if (spec.prefix === '/usr') delete spec.prefix;
    }
    const bootstraps = chunks.some(
      (spec) => spec['build-mode'] === 'bootstrap' || spec['build-mode'] === 'test',
    );
    if (!bootstraps && equal(doc['build-depends'], [])) {
      for (const [field, value] of Object.entries(STATIC_DEFAULTS.stratum)) {
        if (field !== 'build-depends' && equal(doc[field], value)) delete doc[field];
      }
      return;
    }
  }
  if (kind === 'cluster' && Array.isArray(doc.systems)) unsetClusterEntries(doc.systems);
  for (const [field, value] of Object.entries(STATIC_DEFAULTS[kind])) {
    if (field in doc && equal(doc[field], value)) delete doc[field];
  }
}

function unsetClusterEntries(entries: unknown[]): void {
  for (const entry of entries.filter(isMapping)) {
    if (equal(entry['deploy-defaults'], {})) delete entry['deploy-defaults'];
    if (Array.isArray(entry.subsystems)) unsetClusterEntries(entry.subsystems);
  }
}
