import { JobSlots } from '../../../shared/job-slots.js';
import { detectBuildSystem } from '../../definitions/build-systems.js';
import { definitionError } from '../../definitions/definition-error.js';
import { loadMorphology } from '../../definitions/load-morphology.js';
import { MorphError } from '../../errors.js';
import type {
  ChunkMorphology,
  ChunkSpec,
  Morphology,
  StratumMorphology,
  SystemMorphology,
} from '../../model.js';
import type { BuildApp } from './build-app.js';
import { checkChunkSpecs } from './chunk-spec-checks.js';
import { artifactNames, stratumSplitRules } from './split-rules.js';
import { StratumClosures } from './stratum-closures.js';

/** Where a definition or chunk comes from, resolved in the git cache. */
export interface ResolvedRepo {
  /** Repo name as written (`test:morphs`, `file:///...`). */
  repoName: string;
  /** The ref as written (or the build's original ref for the definitions repo). */
  originalRef: string;
  /**
   * The repo name metadata records (`repo-alias`, and `repo` expanded from
   * it) when it is not `repoName`: a temporary build branch fetched from a
   * workspace checkout is recorded under the checkout's repo.
   */
  recordedName?: string;
  commit: string;
  tree: string;
}

/** A stratum's chunk spec with its morphology loaded. */
export interface ResolvedChunk extends ResolvedRepo {
  spec: ChunkSpec;
  /** The stratum file that lists it. */
  stratumFile: string;
  /** Path of the chunk morphology (in the definitions repo when `spec.morph`, else in the chunk repo). */
  file: string;
  morphology: ChunkMorphology;
}

/** Everything a system build is made of (docs/spec/morph.md 5.3). */
export interface ResolvedDefinitions {
  definitions: ResolvedRepo;
  systemFile: string;
  system: SystemMorphology;
  /** Stratum file → stratum, in traversal order. */
  strata: Map<string, StratumMorphology>;
  /** Stratum file → its chunks, in stratum order. */
  chunks: Map<string, ResolvedChunk[]>;
  /**
   * Partial definitions (`onClosure`): how many sources the whole system is
   * expected to have, for progress before everything is resolved.
   */
  expectedSources?: number;
}

/** What to build: a system file at a commit of the definitions repo. */
export interface BuildRequest {
  repo: string;
  /** A ref or commit of `repo`. */
  ref: string;
  file: string;
  /** The ref recorded as the definitions' `original_ref` (defaults to `ref`). */
  originalRef?: string;
  /**
   * Sources of temporary build branches (`<repo>\0<ref as written>` → the
   * repo and ref to record instead), from `prepareBuildBranch`.
   */
  recordedAs?: ReadonlyMap<string, { repo: string; ref: string }>;
}

/** Hooks into resolution. */
export interface ResolveOptions {
  /**
   * Called, while the other chunks are still being resolved, with every
   * stratum whose closure (itself and its build-depends) is resolved: the
   * definitions of a system made of that stratum alone, selecting the
   * stratum's artifacts as the real system will need them. Chunks resolve
   * build-depends first, so the first strata to build come first.
   */
  onClosure?: (partial: ResolvedDefinitions) => void;
}

/**
 * Resolves a build request: the definitions commit, the system and its
 * strata (breadth first, read from git objects), then every chunk's ref and
 * morphology (from the definitions repo when the spec has `morph`, else
 * `<name>.morph` in the chunk repo, else autodetected).
 * @throws MorphError build/cannot-build-cluster, build/not-a-system, build/no-morphology,
 *   definitions/missing-morph (a chunk's `morph:` path is not in the definitions repo),
 *   those of checkChunkSpecs, and the sources/definitions errors of ref resolution and loading.
 */
export async function resolveDefinitions(
  app: BuildApp,
  request: BuildRequest,
  options: ResolveOptions = {},
): Promise<ResolvedDefinitions> {
  const refs = new Map<string, Promise<ResolvedRepo>>();
  const resolve = (repoName: string, ref: string, originalRef = ref): Promise<ResolvedRepo> => {
    const id = `${repoName}\0${ref}`;
    let found = refs.get(id);
    if (!found) {
      const recorded = request.recordedAs?.get(`${repoName}\0${originalRef}`);
      found = resolveRepoRef(app, repoName, ref).then((r) => ({
        repoName,
        originalRef: recorded?.ref ?? originalRef,
        ...(recorded ? { recordedName: recorded.repo } : {}),
        ...r,
      }));
      refs.set(id, found);
    }
    return found;
  };
  const definitions = await resolve(request.repo, request.ref, request.originalRef ?? request.ref);
  const readDefinition = async (file: string): Promise<Morphology> => {
    const data = await app.gitCache.readFile(definitions.repoName, definitions.commit, file).catch((err) => {
      if (!(err instanceof MorphError && err.reason === 'file-not-found')) throw err;
      throw new MorphError('build', 'no-morphology', `Couldn't find morphology: ${file}`, {
        hint: `${definitions.repoName} has no ${file} at ${definitions.originalRef}`,
        cause: err,
      });
    });
    return loadMorphology(data, file);
  };

  const root = await readDefinition(request.file);
  if (root.kind === 'cluster') {
    throw new MorphError('build', 'cannot-build-cluster', `cannot build a cluster: ${request.file}`, {
      hint: 'build the systems it lists, then deploy the cluster',
    });
  }
  if (root.kind !== 'system') {
    throw new MorphError('build', 'not-a-system', `building a ${root.kind} directly is not supported`, {
      location: { file: request.file },
    });
  }

  const strata = new Map<string, StratumMorphology>();
  const queue = root.strata.map((spec) => ({ file: spec.morph, referrer: request.file }));
  for (let item = queue.shift(); item; item = queue.shift()) {
    if (strata.has(item.file)) continue;
    const morphology = await readDefinition(item.file);
    if (morphology.kind !== 'stratum') {
      throw new MorphError(
        'build',
        'wrong-kind',
        `${item.referrer} refers to ${item.file}, which is a ${morphology.kind}, not a stratum`,
      );
    }
    strata.set(item.file, morphology);
    for (const dep of morphology['build-depends']) queue.push({ file: dep.morph, referrer: item.file });
  }

  // Several chunk repos at once: cloning and fetching mirrors waits mostly on
  // the network (round trips and delayed ACKs, even on loopback) and on other
  // processes. The git cache clones or updates each mirror once even when
  // several refs of it are resolved together. Strata needed first go first.
  const specs = [...strata].flatMap(([stratumFile, stratum]) =>
    stratum.chunks.map((spec) => ({ stratumFile, spec })),
  );
  checkChunkSpecs(specs, app.aliases);
  const closures = new StratumClosures(strata);
  const expectedSources = expectedSourceCount(strata);
  const rank = new Map(closures.order.map((file, i) => [file, i]));
  const byNeed = specs
    .map((_, index) => index)
    .sort(
      (a, b) =>
        (rank.get(specs[a]?.stratumFile as string) ?? 0) - (rank.get(specs[b]?.stratumFile as string) ?? 0) ||
        a - b,
    );
  const loaded: (ResolvedChunk | undefined)[] = specs.map(() => undefined);
  const chunksOf = (files: readonly string[]): Map<string, ResolvedChunk[]> =>
    new Map(
      files.map((file) => [
        file,
        specs.flatMap((item, i) => (item.stratumFile === file && loaded[i] ? [loaded[i]] : [])),
      ]),
    );
  const announce = (): void => {
    if (!options.onClosure) return;
    for (const file of closures.newlyComplete()) {
      const members = closures.closure(file);
      options.onClosure({
        definitions,
        systemFile: request.file,
        system: { ...root, strata: [closureSpec(root, strata, file)] },
        strata: new Map(members.map((member) => [member, strata.get(member) as StratumMorphology])),
        chunks: chunksOf(members),
        expectedSources,
      });
    }
  };
  announce();
  const resolveSlots = new JobSlots(RESOLVE_JOBS);
  const failures = new Map<number, unknown>();
  const resolveChunk = (index: number): Promise<void> => {
    const { stratumFile, spec } = specs[index] as (typeof specs)[number];
    return resolveSlots
      .run(async () => {
        const repo = await resolve(spec.repo, spec.ref);
        const { file, morphology } = await loadChunkMorphology(app, spec, repo, definitions, stratumFile);
        loaded[index] = { ...repo, spec, stratumFile, file, morphology };
        closures.chunkResolved(stratumFile);
        announce();
      })
      .catch((err: unknown) => {
        failures.set(index, err);
      });
  };
  // The chunks of the first stratum to build (and its build-depends) resolve
  // on their own first, so that its build starts at once instead of waiting
  // for a CPU behind every other clone; the rest then resolve meanwhile.
  const first = new Set(closures.order.slice(0, 1).flatMap((file) => closures.closure(file)));
  await Promise.all(
    byNeed.filter((index) => first.has(specs[index]?.stratumFile as string)).map(resolveChunk),
  );
  await Promise.all(
    byNeed.filter((index) => !first.has(specs[index]?.stratumFile as string)).map(resolveChunk),
  );
  // The first failure in the order of the definitions, as a loop over them would have thrown it.
  if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
  return {
    definitions,
    systemFile: request.file,
    system: root,
    strata,
    chunks: chunksOf([...strata.keys()]),
  };
}

/**
 * The sources of a system before its chunks are resolved: one per distinct
 * chunk morphology, one per stratum artifact, and the system (exact unless
 * one morphology file is built under several names or an artifact goes unused).
 */
function expectedSourceCount(strata: ReadonlyMap<string, StratumMorphology>): number {
  const chunks = new Set<string>();
  let stratumArtifacts = 0;
  for (const stratum of strata.values()) {
    stratumArtifacts += artifactNames(stratumSplitRules(stratum)).length;
    for (const spec of stratum.chunks) {
      // One morphology file names one chunk, whatever the specs call it.
      chunks.add([spec.repo, spec.ref, spec.morph ?? `${spec.name}.morph`].join('\0'));
    }
  }
  return chunks.size + stratumArtifacts + 1;
}

/**
 * The stratum spec of a system made of `file` alone: the real system's spec
 * (its artifact selection) when the system lists it and no stratum
 * build-depends on it, else all of its artifacts.
 */
function closureSpec(
  system: SystemMorphology,
  strata: ReadonlyMap<string, StratumMorphology>,
  file: string,
): SystemMorphology['strata'][number] {
  const listed = system.strata.find((spec) => spec.morph === file);
  const dependedOn = [...strata.values()].some((stratum) =>
    stratum['build-depends'].some((dep) => dep.morph === file),
  );
  return listed && !dependedOn ? listed : { morph: file };
}

/**
 * How many chunk repos are resolved (cloned, fetched) at once. A clone of a
 * small repo is mostly waiting (about 0.1 s over git:// on loopback, 30 ms of
 * it CPU), so more than the cores pay: 100 clones took 4.0 s six at a time and
 * 1.8 s sixteen at a time on 2 idle cores (docs/build.md).
 */
const RESOLVE_JOBS = 16;

async function loadChunkMorphology(
  app: BuildApp,
  spec: ChunkSpec,
  repo: ResolvedRepo,
  definitions: ResolvedRepo,
  stratumFile: string,
): Promise<{ file: string; morphology: ChunkMorphology }> {
  const fromRepo = spec.morph === undefined ? repo : definitions;
  const file = spec.morph ?? `${spec.name}.morph`;
  const data = await app.gitCache.readFile(fromRepo.repoName, fromRepo.commit, file).catch((err: unknown) => {
    if (err instanceof MorphError && err.reason === 'file-not-found') return undefined;
    throw err;
  });
  if (data === undefined && spec.morph !== undefined) {
    throw definitionError(
      'missing-morph',
      `chunk ${spec.name}: morph: ${file} is not in the definitions repository ` +
        '(morph paths are relative to its top)',
      stratumFile,
      spec,
      'morph',
    );
  }
  let morphology: Morphology;
  if (data !== undefined) {
    morphology = loadMorphology(data, file);
  } else {
    const buildSystem = detectBuildSystem(await app.gitCache.listTopLevel(repo.repoName, repo.commit));
    if (!buildSystem) {
      throw new MorphError('build', 'no-morphology', `Couldn't find morphology: ${file}`, {
        hint: `${repo.repoName} has no ${file} and no recognisable build system`,
        location: { file: stratumFile },
      });
    }
    const name = file.replace(/^.*\//, '').replace(/\.morph$/, '');
    morphology = loadMorphology(
      `name: ${JSON.stringify(name)}\nkind: chunk\nbuild-system: ${buildSystem}\n`,
      file,
    );
  }
  if (morphology.kind !== 'chunk') {
    throw new MorphError(
      'build',
      'wrong-kind',
      `${stratumFile} refers to ${file}, which is a ${morphology.kind}, not a chunk`,
    );
  }
  return { file, morphology };
}

/**
 * Resolves `ref` of `repoName` in the git cache, updating the mirror first
 * when the ref may have moved (docs/spec/morph.md 5.3).
 */
export function resolveRepoRef(
  app: BuildApp,
  repoName: string,
  ref: string,
): Promise<{ commit: string; tree: string }> {
  return app.gitCache.resolveCurrentRef(repoName, ref);
}
