import type { StratumMorphology } from '../../model.js';

/**
 * Which strata of a system can be built while the rest is still being
 * resolved: a stratum's closure (itself and its build-depends, transitively)
 * is complete once the chunks of every stratum in it are resolved. Chunk
 * keys depend only on the closure of their stratum, so the chunks of a
 * complete closure have the same cache keys as in the whole system.
 */
export class StratumClosures {
  /** Stratum files, build-depends before the strata that need them. */
  readonly order: readonly string[];
  private readonly unresolved = new Map<string, number>();
  private readonly closures = new Map<string, string[]>();
  private readonly completed = new Set<string>();

  /** @param strata every stratum of the system by file (all build-depends present). */
  constructor(private readonly strata: ReadonlyMap<string, StratumMorphology>) {
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (file: string): void => {
      // A cycle is reported by createBuildGraph; here it only must not recurse forever.
      if (seen.has(file)) return;
      seen.add(file);
      for (const dep of strata.get(file)?.['build-depends'] ?? []) visit(dep.morph);
      if (strata.has(file)) order.push(file);
    };
    for (const file of strata.keys()) visit(file);
    this.order = order;
    for (const [file, stratum] of strata) this.unresolved.set(file, stratum.chunks.length);
  }

  /** `file` and its build-depends, transitively, build-depends first. */
  closure(file: string): string[] {
    let closure = this.closures.get(file);
    if (!closure) {
      const members = new Set<string>();
      const visit = (at: string): void => {
        if (members.has(at) || !this.strata.has(at)) return;
        members.add(at);
        for (const dep of this.strata.get(at)?.['build-depends'] ?? []) visit(dep.morph);
      };
      visit(file);
      closure = this.order.filter((other) => members.has(other));
      this.closures.set(file, closure);
    }
    return closure;
  }

  /** Records one resolved chunk of the stratum `file`. */
  chunkResolved(file: string): void {
    this.unresolved.set(file, (this.unresolved.get(file) ?? 1) - 1);
  }

  /**
   * The strata whose closures became complete since the last call,
   * build-depends first (strata without chunks are complete at once).
   */
  newlyComplete(): string[] {
    const out: string[] = [];
    for (const file of this.order) {
      if (this.completed.has(file)) continue;
      if (this.closure(file).every((member) => (this.unresolved.get(member) ?? 0) <= 0)) {
        this.completed.add(file);
        out.push(file);
      }
    }
    return out;
  }
}
