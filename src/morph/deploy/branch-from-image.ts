import { join } from 'node:path';
import type { App } from '../app.js';
import { loadAllMorphologies, writeMorphology } from '../definitions/index.js';
import { MorphError } from '../errors.js';
import type { Morphology } from '../model.js';
import { createBranchCheckout, findWorkspace, type SystemBranch } from '../workspace/index.js';
import { type ImageRecord, readImageMetadata, systemRecord } from './image-metadata.js';

/** `(repo url, original ref)` → the commit an image was built from. */
export type ResolutionMap = Map<string, string>;

const key = (repo: string, ref: string) => `${repo}\0${ref}`;
const isSha = (ref: unknown) => typeof ref === 'string' && /^[0-9a-f]{40}$/.test(ref);

/**
 * The commits the image's sources were built from, under every name of
 * their repos: `repo-alias`, `repo`, and each alias that expands to `repo`
 * (docs/spec/morph.md 3.8 step 2).
 */
export function resolutionMap(
  records: readonly ImageRecord[],
  aliasesFor: (url: string) => string[],
): ResolutionMap {
  const map: ResolutionMap = new Map();
  for (const record of records) {
    if (!record['cache-key'] || !record.sha1 || record.original_ref === undefined) continue;
    const urls = new Set<string>();
    if (record['repo-alias']) urls.add(record['repo-alias']);
    if (record.repo) {
      urls.add(record.repo);
      for (const alias of aliasesFor(record.repo)) urls.add(alias);
    }
    for (const url of urls) map.set(key(url, record.original_ref), record.sha1);
  }
  return map;
}

type Spec = Record<string, unknown>;

/**
 * Points a morphology's specs at the new branch and petrifies its chunks
 * (docs/spec/morph.md 3.8 step 4). Returns true when anything changed.
 */
export function repointMorphology(
  m: Morphology,
  rootRepo: string,
  branch: string,
  map: ResolutionMap,
): boolean {
  let changed = false;
  const toBranch = (spec: Spec) => {
    if (spec.repo !== rootRepo) return;
    if (spec['unpetrify-ref'] === undefined && spec.ref !== undefined) spec['unpetrify-ref'] = spec.ref;
    if (spec.ref !== branch) {
      spec.ref = branch;
      changed = true;
    }
  };
  if (m.kind === 'system') m.strata.forEach(toBranch);
  if (m.kind === 'stratum') {
    m['build-depends'].forEach(toBranch);
    m.chunks.forEach(toBranch);
    for (const chunk of m.chunks) {
      if (isSha(chunk.ref)) continue;
      const sha = map.get(key(String(chunk.repo), String(chunk.ref)));
      if (sha === undefined) continue;
      chunk['unpetrify-ref'] = chunk.ref;
      chunk.ref = sha;
      changed = true;
    }
  }
  return changed;
}

/**
 * `morph branch-from-image BRANCH` (docs/spec/morph.md 3.8): a new system branch at
 * the definitions commit an image was built from, with chunk refs petrified
 * to the commits recorded in the image's metadata.
 * @throws MorphError `deploy/no-system-metadata`, `deploy/multiple-system-metadata`,
 *   `deploy/bad-metadata-dir`, and the workspace errors of checkout.
 */
export async function branchFromImage(
  app: App,
  branchName: string,
  metadataDir: string,
): Promise<SystemBranch> {
  const workspace = findWorkspace(app.cwd);
  const records = await readImageMetadata(metadataDir);
  const system = systemRecord(records, metadataDir);
  const rootRepo = system['repo-alias'] ?? system.repo;
  if (!rootRepo || !isSha(system.sha1)) {
    throw new MorphError('deploy', 'bad-metadata-dir', `${system.file} lacks repo-alias or sha1`);
  }
  const map = resolutionMap(records, (url) => app.aliases.aliasesFor(url));
  await app.gitCache.getUpdatedRepo(rootRepo);
  let base = system.sha1 as string;
  if (!(await app.gitCache.tryResolveRef(rootRepo, base)) && system.original_ref) {
    // A build of uncommitted changes whose temporary build branch was never
    // pushed: its commit exists only in the workspace that built it.
    app.status.error(
      `WARNING: ${rootRepo} has no commit ${base} (a temporary build branch that was not pushed); ` +
        `branching from ${system.original_ref} instead`,
    );
    base = system.original_ref;
  }
  const branch = await createBranchCheckout(app, workspace, {
    name: branchName,
    repo: rootRepo,
    ref: base,
    localBranch: branchName,
  });
  const rootDir = await branch.rootCheckoutDir();
  const morphologies = await loadAllMorphologies(rootDir);
  for (const [file, morphology] of morphologies) {
    if (repointMorphology(morphology, rootRepo, branchName, map)) {
      app.status.chatty(`Updating ${file}`);
      await writeMorphology(join(rootDir, file), morphology);
    }
  }
  return branch;
}
