/**
 * Critical paths of a finished build, from the per-source timing records
 * (`<key>.meta`, morph.md 5.7): what the cold build's wall time is compared
 * with in bench/build (docs/build.md, Benchmarks).
 */

/** One chunk's build as its `<key>.meta` record shows it. Times in seconds (epoch). */
export interface ChunkRun {
  name: string;
  /** Start of its first stage. */
  start: number;
  /** Stop of its last stage. */
  stop: number;
  /** Duration of its `build` stage: all its command lists, sandbox start-ups included. */
  build: number;
}

interface StageTime {
  start: string;
  stop: string;
  delta: number;
}

/** The run recorded in a `<key>.meta` JSON text, or undefined when it has no `build` stage (not a chunk). */
export function chunkRunFromMeta(name: string, json: string): ChunkRun | undefined {
  const times = (JSON.parse(json) as { 'build-times'?: Record<string, StageTime> })['build-times'] ?? {};
  const stages = Object.values(times);
  if (!times.build || stages.length === 0) return undefined;
  const seconds = (iso: string): number => Date.parse(iso) / 1000;
  return {
    name,
    start: Math.min(...stages.map((t) => seconds(t.start))),
    stop: Math.max(...stages.map((t) => seconds(t.stop))),
    build: times.build.delta,
  };
}

/**
 * The critical path of the actual schedule, resource-aware: from the chunk
 * that finished last, step back again and again to the chunk that ended
 * latest at or before the current one's start. That chunk is either a
 * dependency the current one waited for or the one whose end freed the job
 * slot it started in; either way the current chunk could not have started
 * earlier than it ended. The chunks on the path never overlap, so the sum of
 * their build stages is at most the wall time, whatever the number of slots.
 * Returned in execution order; ties go to the earlier name.
 */
export function scheduleCriticalPath(runs: readonly ChunkRun[]): ChunkRun[] {
  const byStop = [...runs].sort((a, b) => b.stop - a.stop || a.name.localeCompare(b.name));
  const path: ChunkRun[] = [];
  let current = byStop[0];
  while (current) {
    path.push(current);
    const start = current.start;
    current = byStop.find((run) => run.stop <= start);
  }
  return path.reverse();
}

/**
 * The longest chain of build stages through the dependency graph alone, as if
 * there were unlimited job slots. `dependencies` maps a chunk name to the
 * chunks it build-depends on; names without a run are ignored.
 * Returned in execution order.
 */
export function dependencyCriticalPath(
  runs: readonly ChunkRun[],
  dependencies: ReadonlyMap<string, readonly string[]>,
): ChunkRun[] {
  const byName = new Map(runs.map((run) => [run.name, run]));
  const longest = new Map<string, { total: number; path: ChunkRun[] }>();
  const visit = (run: ChunkRun, seen: Set<string>): { total: number; path: ChunkRun[] } => {
    const known = longest.get(run.name);
    if (known) return known;
    if (seen.has(run.name)) throw new Error(`dependency cycle through ${run.name}`);
    seen.add(run.name);
    let best = { total: 0, path: [] as ChunkRun[] };
    for (const name of dependencies.get(run.name) ?? []) {
      const dep = byName.get(name);
      if (!dep) continue;
      const candidate = visit(dep, seen);
      if (candidate.total > best.total) best = candidate;
    }
    const result = { total: best.total + run.build, path: [...best.path, run] };
    longest.set(run.name, result);
    return result;
  };
  let best: ChunkRun[] = [];
  let bestTotal = -1;
  for (const run of [...runs].sort((a, b) => a.name.localeCompare(b.name))) {
    const { total, path } = visit(run, new Set());
    if (total > bestTotal) {
      best = path;
      bestTotal = total;
    }
  }
  return best;
}

/** The summed build stages of `runs`, in seconds. */
export function buildSeconds(runs: readonly ChunkRun[]): number {
  return runs.reduce((sum, run) => sum + run.build, 0);
}

/** The summed whole intervals (all stages) of `runs`, in seconds. */
export function busySeconds(runs: readonly ChunkRun[]): number {
  return runs.reduce((sum, run) => sum + (run.stop - run.start), 0);
}
