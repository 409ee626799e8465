import type { KeyedArtifact } from './keyed-source.js';

/**
 * Every artifact reachable from `root` through the dependencies of its
 * source, depth first, in post-order (dependencies before dependents,
 * the root last), each once.
 */
export function artifactWalk(root: KeyedArtifact): KeyedArtifact[] {
  const order: KeyedArtifact[] = [];
  const seen = new Set<KeyedArtifact>();
  const visit = (artifact: KeyedArtifact): void => {
    if (seen.has(artifact)) return;
    seen.add(artifact);
    for (const dep of artifact.source.dependencies) visit(dep);
    order.push(artifact);
  };
  visit(root);
  return order;
}
