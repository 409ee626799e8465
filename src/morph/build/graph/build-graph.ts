import { definitionError } from '../../definitions/definition-error.js';
import { effectiveBuildMode } from '../../definitions/effective-build-mode.js';
import { MorphError } from '../../errors.js';
import type { BuildMode, ChunkMorphology, StratumMorphology, SystemMorphology } from '../../model.js';
import type { ResolvedDefinitions, ResolvedRepo } from './resolve-definitions.js';
import {
  artifactNames,
  chunkSplitRules,
  compileSplitPattern,
  type SplitRule,
  selectStratumArtifacts,
  stratumArtifactOf,
  stratumSplitRules,
} from './split-rules.js';

/** The kinds of buildable source. */
export type SourceKind = 'chunk' | 'stratum' | 'system';

/**
 * A unit of building: one chunk, one stratum artifact, or the system
 * (docs/spec/morph.md 5.3), before its cache key is known (keyed-source.ts).
 */
export interface Source extends ResolvedRepo {
  /** Identity: repo name, original ref, file and source name. */
  readonly id: string;
  readonly kind: SourceKind;
  /** The morphology's `name`. */
  readonly name: string;
  readonly file: string;
  readonly morphology: ChunkMorphology | StratumMorphology | SystemMorphology;
  /** Chunks: from the stratum spec. */
  readonly buildMode: BuildMode;
  readonly prefix: string;
  /** Chunks: the file rules (`split-rules` of the cache id). */
  readonly splitRules: SplitRule[];
  /** Stratum files whose chunk lists include this chunk (same-stratum test of 5.9). */
  readonly strata: ReadonlySet<string>;
  readonly artifacts: readonly Artifact[];
  /** Artifacts this source needs, in dependency order. */
  readonly dependencies: readonly Artifact[];
}

/** A source while the graph is being made. */
interface DraftSource extends Source {
  readonly strata: Set<string>;
  readonly artifacts: Artifact[];
  readonly dependencies: Artifact[];
}

/** One output of a source. */
export interface Artifact {
  readonly name: string;
  readonly source: Source;
}

/** The dependency graph of one system build. */
export interface BuildGraph {
  readonly definitions: ResolvedDefinitions;
  /** The system's `<name>-rootfs` artifact. */
  readonly root: Artifact;
  /** Sources in build order (depth-first post-order from the root, de-duplicated). */
  readonly order: Source[];
  /** Problems that do not stop the build (unknown build modes), to report once. */
  readonly warnings: string[];
}

/**
 * Builds the source/artifact graph of a resolved system (docs/spec/morph.md 5.4, 5.5),
 * checks it and orders it. Only sources reachable from the system are kept.
 * @throws MorphError definitions/chunk-name-mismatch (a spec `name` that is not its chunk's),
 *   build/duplicate-artifact, build/no-non-bootstrap-chunks,
 *   build/bad-chunk-dependency, build/cyclic-dependency, build/unknown-stratum-artifact.
 */
export function createBuildGraph(resolved: ResolvedDefinitions): BuildGraph {
  const { definitions } = resolved;
  const warnings: string[] = [];
  const stratumArtifacts = new Map<string, Artifact[]>();
  const chunkSources = new Map<string, DraftSource>();
  const stratumSourceName = new Map<string, string>();

  const allChunkSpecs = [...resolved.chunks.values()].flat();
  if (
    allChunkSpecs.length > 0 &&
    allChunkSpecs.every((chunk) => effectiveBuildMode(chunk.spec['build-mode']) === 'bootstrap')
  ) {
    throw new MorphError('build', 'no-non-bootstrap-chunks', 'No non-bootstrap chunks found.', {
      location: { file: resolved.systemFile },
      hint:
        'every chunk builds with build-mode: bootstrap, and bootstrap chunks never reach the system; ' +
        "build the system's own chunks in staging mode on top of them (docs/build-modes.md)",
    });
  }

  // Strata are created dependencies first, so build-depends artifacts exist when needed.
  const visiting = new Set<string>();
  const makeStratum = (file: string): Artifact[] => {
    const done = stratumArtifacts.get(file);
    if (done) return done;
    if (visiting.has(file)) {
      throw new MorphError(
        'build',
        'cyclic-dependency',
        `cyclic dependency between strata involving ${file}`,
      );
    }
    visiting.add(file);
    const stratum = resolved.strata.get(file) as StratumMorphology;
    const dependsOn = stratum['build-depends'].flatMap((dep) => makeStratum(dep.morph));
    const specSources = new Map<string, DraftSource>();
    for (const chunk of resolved.chunks.get(file) ?? []) {
      const id = [chunk.repoName, chunk.originalRef, chunk.file, chunk.morphology.name].join('\0');
      let source = chunkSources.get(id);
      if (chunk.spec.name !== chunk.morphology.name) {
        throw definitionError(
          'chunk-name-mismatch',
          `chunk ${chunk.spec.name}: name differs from the name ${chunk.morphology.name} in ${chunk.file}, ` +
            `whose artifacts would be called ${chunk.morphology.name}-*: rename one of them`,
          file,
          chunk.spec,
          'name',
        );
      }
      // Every spec's build-depends is checked, also when it repeats a chunk already made a source.
      const deps: Artifact[] = [...dependsOn];
      for (const depName of chunk.spec['build-depends'] ?? []) {
        const dep = specSources.get(depName);
        if (!dep) {
          throw new MorphError(
            'build',
            'bad-chunk-dependency',
            `chunk ${chunk.spec.name} in ${file} depends on ${depName}, which is not an earlier chunk of that stratum`,
          );
        }
        deps.push(...dep.artifacts);
      }
      if (!source) {
        checkProductPatterns(chunk.morphology, chunk.file);
        const rules = chunkSplitRules(chunk.morphology.name, chunk.morphology.products);
        source = newSource({
          ...chunk,
          id,
          kind: 'chunk',
          name: chunk.morphology.name,
          morphology: chunk.morphology,
          buildMode: effectiveBuildMode(chunk.spec['build-mode'], warnings, chunk.spec.name),
          prefix: chunk.spec.prefix ?? '/usr',
          splitRules: rules,
          artifactNames: artifactNames(rules),
        });
        source.dependencies.push(...deps);
        chunkSources.set(id, source);
      }
      source.strata.add(file);
      specSources.set(chunk.spec.name, source);
    }

    // Stratum rules: explicit chunk-spec assignments, then products, then defaults.
    const rules = stratumSplitRules(stratum);
    const names = artifactNames(rules);
    const matched = new Map<string, Artifact[]>();
    for (const chunk of stratum.chunks) {
      const source = specSources.get(chunk.name);
      for (const artifact of source?.artifacts ?? []) {
        const target = stratumArtifactOf(rules, chunk.name, artifact.name);
        if (target === undefined) continue;
        const list = matched.get(target) ?? [];
        if (!list.includes(artifact)) list.push(artifact);
        matched.set(target, list);
      }
    }
    const artifacts = names.map((name) => {
      const source = newSource({
        ...definitions,
        id: [definitions.repoName, definitions.originalRef, file, name].join('\0'),
        kind: 'stratum',
        name: stratum.name,
        file,
        morphology: stratum,
        buildMode: 'staging',
        prefix: '/usr',
        splitRules: [],
        artifactNames: [name],
      });
      source.dependencies.push(...dependsOn, ...(matched.get(name) ?? []));
      return source.artifacts[0] as Artifact;
    });
    for (const artifact of artifacts) {
      const other = stratumSourceName.get(artifact.name);
      if (other !== undefined && other !== file) {
        throw new MorphError(
          'build',
          'duplicate-artifact',
          `strata ${other} and ${file} both produce an artifact called ${artifact.name}`,
        );
      }
      stratumSourceName.set(artifact.name, file);
    }
    visiting.delete(file);
    stratumArtifacts.set(file, artifacts);
    return artifacts;
  };

  const system = resolved.system;
  const systemSource = newSource({
    ...definitions,
    id: [definitions.repoName, definitions.originalRef, resolved.systemFile, system.name].join('\0'),
    kind: 'system',
    name: system.name,
    file: resolved.systemFile,
    morphology: system,
    buildMode: 'staging',
    prefix: '/usr',
    splitRules: [],
    artifactNames: [`${system.name}-rootfs`],
  });
  for (const spec of system.strata) {
    const artifacts = makeStratum(spec.morph);
    const selected = selectStratumArtifacts(
      spec,
      artifacts.map((a) => a.name),
    );
    systemSource.dependencies.push(
      ...selected.map((name) => artifacts.find((a) => a.name === name) as Artifact),
    );
  }
  const root = systemSource.artifacts[0] as Artifact;
  return { definitions: resolved, root, order: buildOrder(root), warnings };
}

/** Depth-first post-order from `root`, one entry per source (docs/spec/morph.md 5.8). */
export function buildOrder(root: Artifact): Source[] {
  const order: Source[] = [];
  const seen = new Set<Source>();
  const visit = (source: Source): void => {
    if (seen.has(source)) return;
    seen.add(source);
    for (const dep of source.dependencies) visit(dep.source);
    order.push(source);
  };
  visit(root.source);
  return order;
}

type NewSource = Omit<Source, 'artifacts' | 'dependencies' | 'strata'> & { artifactNames: string[] };

function newSource(init: NewSource): DraftSource {
  const { artifactNames: names, ...rest } = init;
  const source: DraftSource = { ...rest, strata: new Set(), artifacts: [], dependencies: [] };
  for (const name of names) source.artifacts.push({ name, source });
  return source;
}

/**
 * Compiles every `products` include pattern of a chunk now, so that an
 * invalid regex is refused before anything is built.
 * @throws MorphError `build/invalid-split-rule` naming the chunk file.
 */
function checkProductPatterns(morphology: ChunkMorphology, file: string): void {
  for (const product of morphology.products) {
    for (const pattern of product.include) {
      try {
        compileSplitPattern(pattern);
      } catch (err) {
        throw new MorphError(
          'build',
          'invalid-split-rule',
          `invalid regular expression ${JSON.stringify(pattern)} in products of chunk ${morphology.name}`,
          {
            location: { file },
            cause: err,
            hint: 'products include patterns are Python regular expressions',
          },
        );
      }
    }
  }
}
