import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../app.js';
import { loadAllMorphologies, writeMorphology } from '../definitions/index.js';
import type { Morphology } from '../model.js';
import { cloneToDirectory } from './clone-to-directory.js';
import type { SystemBranch } from './system-branch.js';

/** What `morph edit` did. */
export interface EditResult {
  /** `{stratum file, chunk checkout dir}` for every stratum that has the chunk. */
  readonly edited: readonly { stratum: string; checkout: string }[];
  /** Morphology files rewritten (relative to the root checkout). */
  readonly saved: readonly string[];
}

/** A spec that can name a repo and ref (stratum chunk, stratum build-depends, system strata). */
type Spec = Record<string, unknown>;

/**
 * Prepares a chunk for editing in a system branch (docs/spec/morph.md 3.9): checks its
 * repo out (on a local branch named like the system branch) if it is not
 * yet, and points every spec of that chunk at the system branch, keeping
 * the old ref as `unpetrify-ref`. Only changed morphologies are saved.
 * @throws MorphError from loading/saving definitions, the git cache or the clone
 */
export async function editChunk(app: App, branch: SystemBranch, chunkName: string): Promise<EditResult> {
  const rootDir = await branch.rootCheckoutDir();
  app.status.normal(`Loading all morphologies in ${rootDir}`);
  const morphologies = await loadAllMorphologies(rootDir);
  const modified = new Set<string>();
  const edited: { stratum: string; checkout: string }[] = [];

  for (const [file, morphology] of morphologies) {
    if (morphology.kind !== 'stratum') continue;
    for (const chunk of morphology.chunks) {
      if (chunk.name !== chunkName) continue;
      app.status.normal(`Editing ${chunkName} in ${morphology.name} stratum`);
      const { repo, ref } = chunk;
      const identity = specIdentity(chunk);
      const checkout = await branch.checkoutDirFor(repo);
      if (!existsSync(checkout)) {
        await app.gitCache.getUpdatedRepo(repo);
        await app.gitCache.resolveRef(repo, ref);
        await cloneToDirectory(app, { repo, ref, dir: checkout, localBranch: branch.name });
      }
      edited.push({ stratum: file, checkout });
      if (ref === branch.name) continue;
      for (const [otherFile, other] of morphologies) {
        for (const spec of specsOf(other)) {
          if (spec.repo === repo && spec.ref === ref && specIdentity(spec) === identity) {
            spec['unpetrify-ref'] = ref;
            spec.ref = branch.name;
            modified.add(otherFile);
          }
        }
      }
    }
  }

  const saved = [...modified].sort();
  for (const file of saved) await writeMorphology(join(rootDir, file), morphologies.get(file)!);
  return { edited, saved };
}

function specIdentity(spec: Spec): unknown {
  return spec.name ?? spec.morph;
}

/** Every spec of a morphology that may carry repo/ref: system strata, stratum build-depends and chunks. */
function specsOf(morphology: Morphology): Spec[] {
  switch (morphology.kind) {
    case 'system':
      return morphology.strata;
    case 'stratum':
      return [...morphology['build-depends'], ...morphology.chunks];
    case 'chunk':
    case 'cluster':
      return [];
  }
}
