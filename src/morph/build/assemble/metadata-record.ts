import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ifPresentSync } from '../../../shared/if-present.js';

/** The artifact kinds that have metadata records. */
export type RecordKind = 'chunk' | 'stratum' | 'system';

/** `baserock/<artifact>.meta` (docs/spec/morph.md 5.13); consumed by branch-from-image and generate-manifest. */
export interface MetadataRecord {
  'artifact-name': string;
  'source-name': string;
  kind: RecordKind;
  description: string;
  /**
   * The source repo's name as written in the definitions, like `repo-alias`:
   * never its pull URL, which depends on the host's aliases and git server.
   */
  repo: string;
  /** Repo name as written. */
  'repo-alias': string;
  original_ref: string;
  sha1: string;
  morphology: string;
  'cache-key': string;
  'cache-id': unknown;
  contents: string[];
}

/** morph's own version: package version, and ref, tree and commit of a git checkout of morph. */
export interface MorphVersion {
  ref: string;
  tree: string;
  commit: string;
  version: string;
}

/** JSON with 4-space indentation and keys sorted at every level, as the original wrote it. */
export function formatMetadata(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), replaceBuffers, 4)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function replaceBuffers(_key: string, value: unknown): unknown {
  // Byte strings (`!!binary` commands) are recorded as text, invalid bytes replaced.
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('utf8');
  }
  return value;
}

let version: MorphVersion | undefined;

/**
 * `morph-version`: the package version, plus ref, tree and commit when morph
 * runs from a git checkout of its source (empty otherwise). Artifact records
 * leave it out: it is not part of cache keys, so two morphs giving the same
 * key must give the same bits.
 */
export function morphVersion(): MorphVersion {
  if (!version) {
    const root = fileURLToPath(new URL('../../../../../', import.meta.url));
    let pkgVersion = 'unknown';
    // Installed without package.json beside dist/: keep 'unknown'.
    const pkg = ifPresentSync(() => readFileSync(`${root}package.json`, 'utf8'));
    if (pkg !== undefined) pkgVersion = String(JSON.parse(pkg).version ?? 'unknown');
    const git = (...args: string[]): string => {
      try {
        return execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim();
      } catch {
        return '';
      }
    };
    const commit = git('rev-parse', '--verify', '--quiet', 'HEAD');
    version = {
      ref: commit ? git('rev-parse', '--abbrev-ref', 'HEAD') : '',
      tree: commit ? git('rev-parse', 'HEAD^{tree}') : '',
      commit,
      version: pkgVersion,
    };
  }
  return version;
}
