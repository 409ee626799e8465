/**
 * The typed shape of morph's definitions (docs/spec/morph.md section 4): chunk,
 * stratum, system and cluster morphologies, as `loadMorphology` returns them
 * (validated, defaults filled).
 *
 * Field names are the YAML field names (`'build-depends'`, not
 * `buildDepends`) so that a morphology is its own serialisation: saving,
 * cache ids and metadata use the same keys, and unknown keys of nested
 * specs survive a load → edit → save cycle untouched. Morphologies are
 * plain mutable objects because `morph edit` and temporary build branches
 * change specs in place before saving them.
 */

/**
 * A string that may hold raw bytes: YAML `!!binary` values load as a
 * `Buffer` and are saved back as `!!binary`, byte for byte.
 */
export type ByteString = string | Buffer;

/** The closed set of morphology kinds. */
export type MorphologyKind = 'chunk' | 'stratum' | 'system' | 'cluster';

/** A chunk's build mode, from its stratum spec (`staging` unless said otherwise). */
export type BuildMode = 'staging' | 'bootstrap' | 'test';

/** The twelve chunk command lists, in the order builds run them. */
export const CHUNK_COMMAND_FIELDS = [
  'pre-configure-commands',
  'configure-commands',
  'post-configure-commands',
  'pre-build-commands',
  'build-commands',
  'post-build-commands',
  'pre-test-commands',
  'test-commands',
  'post-test-commands',
  'pre-install-commands',
  'install-commands',
  'post-install-commands',
] as const;

/** One of the twelve `*-commands` fields of a chunk. */
export type ChunkCommandField = (typeof CHUNK_COMMAND_FIELDS)[number];

/** `{artifact, include}`: an explicit split rule (chunk or stratum `products`). */
export interface ProductSpec {
  artifact: string;
  /** Python regexes, matched as prefix matches (`re.match`). */
  include: string[];
}

/** A device node a chunk declares (`devices` list). */
export interface DeviceSpec {
  filename: string;
  type: 'c' | 'b';
  /** Octal permission string, e.g. `"0666"`. */
  permissions: string;
  major: number;
  minor: number;
  uid: number;
  gid: number;
  [key: string]: unknown;
}

/**
 * `system-integration`: chunk artifact name → script name prefix → list of
 * script texts.
 */
export type SystemIntegration = Record<string, Record<string, ByteString[]>>;

/** A chunk morphology (docs/spec/morph.md 4.3). */
export type ChunkMorphology = {
  kind: 'chunk';
  name: string;
  description: string;
  'build-system': string;
  devices: DeviceSpec[];
  products: ProductSpec[];
  'max-jobs': number | null;
  'build-mode': string;
  prefix: string;
  'system-integration': SystemIntegration;
} & Record<ChunkCommandField, ByteString[]>;

/** An entry of a stratum's `chunks` list (docs/spec/morph.md 4.5). */
export interface ChunkSpec {
  name: string;
  /** Repo name or URL; defaults to the chunk name. */
  repo: string;
  /** Always a string after validation. */
  ref: string;
  'unpetrify-ref'?: string;
  /** Path of the chunk morphology in the definitions repo. */
  morph?: string;
  /** Names of chunks defined earlier in the same stratum. */
  'build-depends': string[];
  /** As written; see `effectiveBuildMode` for the value builds use. */
  'build-mode': string;
  prefix: string;
  /** Chunk artifact name → stratum artifact name. */
  artifacts?: Record<string, string>;
  alias?: string;
  [key: string]: unknown;
}

/** `{morph: path}`: a stratum (or stratum spec) dependency. */
export interface StratumDependency {
  morph: string;
  [key: string]: unknown;
}

/** A stratum morphology (docs/spec/morph.md 4.5). */
export interface StratumMorphology {
  kind: 'stratum';
  name: string;
  description: string;
  'build-depends': StratumDependency[];
  products: ProductSpec[];
  chunks: ChunkSpec[];
}

/** An entry of a system's `strata` list (docs/spec/morph.md 4.6). */
export interface StratumSpec {
  morph: string;
  name?: string;
  /** Stratum artifact names to include (all when absent). */
  artifacts?: string[];
  alias?: string;
  [key: string]: unknown;
}

/** A system morphology (docs/spec/morph.md 4.6). */
export interface SystemMorphology {
  kind: 'system';
  name: string;
  description: string;
  arch: string;
  strata: StratumSpec[];
  'configuration-extensions': string[];
}

/**
 * Parameters of one deployment: `type` (write extension) and `location` are
 * special, every other key becomes an environment variable.
 */
export type DeploymentParameters = Record<string, unknown>;

/** An entry of a cluster's `systems` list, or of a `subsystems` list (docs/spec/morph.md 4.7). */
export interface ClusterSystemSpec {
  morph: string;
  /** Deployment name → parameters. */
  deploy: Record<string, DeploymentParameters>;
  'deploy-defaults': DeploymentParameters;
  subsystems?: ClusterSystemSpec[];
  [key: string]: unknown;
}

/** A cluster morphology (docs/spec/morph.md 4.7). */
export interface ClusterMorphology {
  kind: 'cluster';
  name: string;
  description: string;
  systems: ClusterSystemSpec[];
}

/** Any validated morphology. */
export type Morphology = ChunkMorphology | StratumMorphology | SystemMorphology | ClusterMorphology;
