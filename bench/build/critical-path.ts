/**
 * Critical paths of a finished build, from the per-source timing records
 * (`<key>.meta`, docs/spec/morph.md 5.7): what the cold build's wall time is compared
 * with in bench/build (bench/RESULTS.md, Build).
 */

/** One chunk's build as its `<key>.meta` record shows it. Times in seconds (epoch). */
export interface ChunkRun {
  name: string;
  /** Start of its first stage. */
  start: number;
  /** Stop of the last stage before `build` (its preparation), or `start` when there is none. */
  ready: number;
  /** Start of its `build` stage: all its command lists, sandbox start-ups included. */
  buildStart: number;
  /** Stop of its `build` stage. */
  buildStop: number;
  /** Stop of its last stage. */
  stop: number;
  /** Duration of its `build` stage. */
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
  const build = times.build;
  if (!build) return undefined;
  const seconds = (iso: string): number => Date.parse(iso) / 1000;
  const stages = Object.values(times);
  const start = Math.min(...stages.map((t) => seconds(t.start)));
  const buildStart = seconds(build.start);
  const before = stages.map((t) => seconds(t.stop)).filter((stop) => stop <= buildStart && stop > start);
  return {
    name,
    start,
    ready: Math.max(start, ...before),
    buildStart,
    buildStop: seconds(build.stop),
    stop: Math.max(...stages.map((t) => seconds(t.stop))),
    build: build.delta,
  };
}

/** A chunk on a schedule critical path, and where the path enters and leaves it. */
export interface PathStep {
  run: ChunkRun;
  /**
   * `start`: the path runs through the chunk's preparation (its start was
   * waited for); `build`: it enters at the build stage, which waited for a
   * command slot freed by the previous step's build stage.
   */
  entry: 'start' | 'build';
  /** `stop`: the next step waited for the chunk's end; `build`: for its build stage's end. */
  exit: 'stop' | 'build';
}

/**
 * The critical path of the actual schedule, resource-aware as in scheduling
 * theory: from the chunk that finished last, step back again and again to
 * what the current step could not start without.
 *
 * - A build stage starts when its chunk is prepared and a command slot is
 *   free: the later of its own `ready` and the latest build stage of
 *   another chunk that stopped at or before it started (which freed the
 *   slot). If the chunk's own preparation was later, the path runs through
 *   it to the chunk's start.
 * - A chunk starts when its dependencies are built and the builder takes it
 *   in: the chunk that stopped latest at or before that start (a dependency
 *   it waited for or one whose end made room for it).
 *
 * The steps never overlap in time, so their build stages sum to at most the
 * wall time, whatever the number of cores or slots. When each chunk holds
 * its slot from start to stop (no separate command slots), this is: step
 * back to the chunk that ended latest before the current one started.
 * Returned in execution order; ties go to the earlier name.
 */
export function scheduleCriticalPath(runs: readonly ChunkRun[]): PathStep[] {
  const byName = (a: ChunkRun, b: ChunkRun): number => a.name.localeCompare(b.name);
  const byStop = [...runs].sort((a, b) => b.stop - a.stop || byName(a, b));
  const byBuildStop = [...runs].sort((a, b) => b.buildStop - a.buildStop || byName(a, b));
  const path: PathStep[] = [];
  let current = byStop[0];
  let exit: PathStep['exit'] = 'stop';
  while (current) {
    const run: ChunkRun = current;
    const slot = byBuildStop.find((other) => other !== run && other.buildStop <= run.buildStart);
    if (slot && slot.buildStop > run.ready) {
      path.push({ run, entry: 'build', exit });
      current = slot;
      exit = 'build';
    } else {
      path.push({ run, entry: 'start', exit });
      current = byStop.find((other) => other !== run && other.stop <= run.start);
      exit = 'stop';
    }
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

/**
 * The time a schedule critical path spends inside its chunks, in seconds:
 * each step from its entry to its exit. The rest of the wall time is before,
 * between and after them.
 */
export function pathSeconds(path: readonly PathStep[]): number {
  let sum = 0;
  for (const { run, entry, exit } of path) {
    sum += (exit === 'stop' ? run.stop : run.buildStop) - (entry === 'start' ? run.start : run.buildStart);
  }
  return sum;
}
