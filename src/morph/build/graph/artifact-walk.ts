import type { Artifact } from './build-graph.js';

/**
 * Every artifact reachable from `root` through the dependencies of its
 * source, depth first, in post-order (dependencies before dependents,
 * the root last), each once.
 */
export function artifactWalk(root: Artifact): Artifact[] {
  const order: Artifact[] = [];
  const seen = new Set<Artifact>();
  const visit = (artifact: Artifact): void => {
    if (seen.has(artifact)) return;
    seen.add(artifact);
    for (const dep of artifact.source.dependencies) visit(dep);
    order.push(artifact);
  };
  visit(root);
  return order;
}
