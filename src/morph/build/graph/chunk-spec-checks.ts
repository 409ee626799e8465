import { definitionError } from '../../definitions/definition-error.js';
import type { ChunkSpec } from '../../model.js';
import type { RepoAliasResolver } from '../../sources/repo-alias.js';

/** A chunk spec with the stratum file that lists it. */
export interface ListedChunkSpec {
  readonly stratumFile: string;
  readonly spec: ChunkSpec;
}

/**
 * Load-time checks of the chunk specs of one system, made before any chunk
 * repository is cloned (docs/build-modes.md): every `repo` prefix is a known
 * alias, and no two specs name the same source (repo, ref and morphology
 * file), which would build one chunk where two were meant and can leave the
 * system without any file.
 * @throws MorphError definitions/unknown-repo-alias, definitions/duplicate-source
 */
export function checkChunkSpecs(specs: readonly ListedChunkSpec[], aliases: RepoAliasResolver): void {
  const sources = new Map<string, ListedChunkSpec>();
  for (const listed of specs) {
    const { stratumFile, spec } = listed;
    const prefix = aliases.unknownAlias(spec.repo);
    if (prefix !== undefined) {
      const known = aliases.aliases.map((alias) => alias.prefix).sort();
      throw definitionError(
        'unknown-repo-alias',
        `chunk ${spec.name}: repo: unknown repository alias '${prefix}' (known: ${known.join(', ') || 'none'})`,
        stratumFile,
        spec,
        'repo',
      );
    }
    const morph = spec.morph ?? `${spec.name}.morph`;
    const key = [aliases.pullUrl(spec.repo), spec.ref, morph].join('\0');
    const first = sources.get(key);
    if (first) {
      throw definitionError(
        'duplicate-source',
        `chunks ${first.spec.name} (${first.stratumFile}) and ${spec.name} are the same source ` +
          `(repo ${spec.repo}, ref ${spec.ref}, morph ${morph}), so only one would be built: ` +
          `give ${spec.name} its own morph file`,
        stratumFile,
        spec,
        spec.morph === undefined ? 'name' : 'morph',
      );
    }
    sources.set(key, listed);
  }
}
