import { definitionError } from './definition-error.js';
import { isMapping, type Mapping, typeName } from './yaml-values.js';

/**
 * Validates the cluster-specific fields of a loaded cluster morphology
 * (docs/spec/morph.md 4.7), recursively through `subsystems`; deployment names must
 * be unique across the whole cluster.
 *
 * @throws MorphError `definitions/` `invalid-type`, `missing-field` or
 *   `duplicate-deployment-names`.
 */
export function validateCluster(doc: Mapping, file: string): void {
  const name = String(doc.name);
  const counts = new Map<string, number>();
  validateEntries(doc.systems, 'systems', doc, 'systems', name, file, counts);
  const duplicates = [...counts].filter(([, count]) => count > 1).map(([deployment]) => deployment);
  if (duplicates.length > 0) {
    throw definitionError(
      'duplicate-deployment-names',
      `Cluster ${name} contains the following duplicate deployment names: ${duplicates.join(', ')}`,
      file,
      doc,
      'systems',
    );
  }
}

function validateEntries(
  entries: unknown,
  path: string,
  parent: Mapping,
  key: string,
  cluster: string,
  file: string,
  counts: Map<string, number>,
): void {
  if (!Array.isArray(entries)) {
    throw definitionError(
      'invalid-type',
      `Field ${path} of cluster ${cluster} must be a list, got ${typeName(entries)}`,
      file,
      parent,
      key,
    );
  }
  entries.forEach((entry, index) => {
    const at = `${path}[${index}]`;
    if (!isMapping(entry)) {
      throw definitionError(
        'invalid-type',
        `Field ${at} of cluster ${cluster} must be a mapping`,
        file,
        entries,
        index,
      );
    }
    if (typeof entry.morph !== 'string') {
      throw definitionError(
        'missing-field',
        `Missing field ${at}.morph in cluster ${cluster}`,
        file,
        entries,
        index,
      );
    }
    if (!('deploy' in entry)) {
      throw definitionError(
        'missing-field',
        `Missing field ${at}.deploy in cluster ${cluster}`,
        file,
        entries,
        index,
      );
    }
    const deploy = entry.deploy;
    if (
      !isMapping(deploy) ||
      !Object.values(deploy).every((params) => isMapping(params) || params === null)
    ) {
      throw definitionError(
        'invalid-type',
        `Field ${at}.deploy of cluster ${cluster} must map deployment names to parameters`,
        file,
        entry,
        'deploy',
      );
    }
    for (const [deployment, params] of Object.entries(deploy)) {
      if (params === null) deploy[deployment] = {};
      counts.set(deployment, (counts.get(deployment) ?? 0) + 1);
    }
    if ('deploy-defaults' in entry && !isMapping(entry['deploy-defaults'])) {
      throw definitionError(
        'invalid-type',
        `Field ${at}.deploy-defaults of cluster ${cluster} must be a mapping`,
        file,
        entry,
        'deploy-defaults',
      );
    }
    if ('subsystems' in entry) {
      validateEntries(entry.subsystems, `${at}.subsystems`, entry, 'subsystems', cluster, file, counts);
    }
  });
}
