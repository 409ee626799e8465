/**
 * The cold build's critical paths for bench/build/run.sh.
 *
 * Usage: node dist/bench/build/cold-build-report.js ARTIFACTS-DIR BUILD-OUTPUT DEPENDENCIES
 *   ARTIFACTS-DIR  `<cachedir>/artifacts`, holding the `<key>.meta` timing records
 *   BUILD-OUTPUT   `morph --verbose build` output: its "NAME: Artifact is in
 *                  cache: ...artifacts/KEY/chunk/..." lines name the chunks built
 *   DEPENDENCIES   one line per chunk: its name, then the chunks it build-depends on
 *
 * Prints `NAME VALUE` lines (seconds): every chunk's build stages summed, the
 * schedule and dependency critical paths (critical-path.ts) with their build
 * stages (`@slot`: the path enters that chunk at its build stage, which
 * waited for a command slot), the time the schedule path spends inside its
 * chunks, and the stages summed over all chunks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSeconds,
  type ChunkRun,
  chunkRunFromMeta,
  dependencyCriticalPath,
  pathSeconds,
  scheduleCriticalPath,
} from './critical-path.js';

const [artifacts, output, dependencyFile] = process.argv.slice(2);
if (!artifacts || !output || !dependencyFile) {
  console.error('usage: cold-build-report.js ARTIFACTS-DIR BUILD-OUTPUT DEPENDENCIES');
  process.exit(2);
}

const keys = new Map<string, string>();
const inCache = /\] ([\w.+-]+): Artifact is in cache: \S*artifacts\/([0-9a-f]{64})\/chunk\//g;
for (const m of readFileSync(output, 'utf8').matchAll(inCache)) keys.set(m[1] as string, m[2] as string);

const runs: ChunkRun[] = [];
const stagesOf = new Map<string, Record<string, { delta: number }>>();
for (const [name, key] of keys) {
  const json = readFileSync(join(artifacts, `${key}.meta`), 'utf8');
  const run = chunkRunFromMeta(name, json);
  if (!run) continue;
  runs.push(run);
  stagesOf.set(name, JSON.parse(json)['build-times']);
}

const dependencies = new Map<string, string[]>();
for (const line of readFileSync(dependencyFile, 'utf8').split('\n')) {
  const [name, ...deps] = line.trim().split(/\s+/);
  if (name) dependencies.set(name, deps);
}

const stageSums = (chunks: readonly ChunkRun[]): string => {
  const sums = new Map<string, number>();
  for (const run of chunks) {
    for (const [stage, t] of Object.entries(stagesOf.get(run.name) ?? {}))
      sums.set(stage, (sums.get(stage) ?? 0) + t.delta);
  }
  return [...sums].map(([stage, s]) => `${stage}=${s.toFixed(1)}`).join(',');
};

const schedule = scheduleCriticalPath(runs);
const scheduleRuns = schedule.map((step) => step.run);
const byDependencies = dependencyCriticalPath(runs, dependencies);
const first = Math.min(...runs.map((r) => r.start));
const last = Math.max(...runs.map((r) => r.stop));
const lines: [string, string | number][] = [
  ['chunks', runs.length],
  ['all-build', buildSeconds(runs).toFixed(3)],
  ['first-start', first.toFixed(3)],
  ['last-stop', last.toFixed(3)],
  ['schedule-chunks', schedule.length],
  ['schedule-slot-entries', schedule.filter((step) => step.entry === 'build').length],
  ['schedule-build', buildSeconds(scheduleRuns).toFixed(3)],
  ['schedule-inside', pathSeconds(schedule).toFixed(3)],
  [
    'schedule-path',
    schedule.map((step) => `${step.run.name}${step.entry === 'build' ? '@slot' : ''}`).join(','),
  ],
  ['dependency-chunks', byDependencies.length],
  ['dependency-build', buildSeconds(byDependencies).toFixed(3)],
  ['dependency-path', byDependencies.map((r) => r.name).join(',')],
  ['all-stages', stageSums(runs)],
];
for (const [name, value] of lines) console.log(`${name} ${value}`);
