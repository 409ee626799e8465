import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildSeconds,
  type ChunkRun,
  chunkRunFromMeta,
  dependencyCriticalPath,
  type PathStep,
  pathSeconds,
  scheduleCriticalPath,
} from './critical-path.js';

/** A run: preparation [start, ready], build stage [buildStart, buildStop], stored at stop (seconds). */
const run = (
  name: string,
  start: number,
  ready: number,
  buildStart: number,
  buildStop: number,
  stop: number,
): ChunkRun => ({ name, start, ready, buildStart, buildStop, stop, build: buildStop - buildStart });
const names = (path: PathStep[]): string => path.map((s) => `${s.run.name}:${s.entry}-${s.exit}`).join(' ');
const runsOf = (path: PathStep[]): ChunkRun[] => path.map((s) => s.run);
const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);

// A hand-made schedule where each chunk holds one of two job slots from start to stop:
//
//   slot 1: a [0, 10]             d [10.2, 20]
//   slot 2: b [0, 4]  c [4.5, 9]  e [9.1, 21]
//
// d build-depends on a; b, c and e are independent, so c starts when b frees
// slot 2 and e when c does.
const a = run('a', 0, 1, 1, 9, 10);
const b = run('b', 0, 0.5, 0.5, 3.5, 4);
const c = run('c', 4.5, 4.9, 4.9, 8.9, 9);
const d = run('d', 10.2, 11, 11, 20, 20);
const e = run('e', 9.1, 10, 10, 20, 21);

test('the schedule critical path follows freed job slots, not only dependencies', () => {
  const path = scheduleCriticalPath([a, b, c, d, e]);
  // e finished last; c ended latest before e started; b before c.
  assert.equal(names(path), 'b:start-stop c:start-stop e:start-stop');
  assert.equal(buildSeconds(runsOf(path)), 3 + 4 + 10);
  close(pathSeconds(path), 4 + 4.5 + 11.9);
});

test('the schedule critical path steps back to a dependency that ended last', () => {
  // Now e waits for a: it starts at 10.1, after a's end, while d takes the other slot.
  const late = run('e', 10.1, 11, 11, 21, 21);
  const path = scheduleCriticalPath([a, b, c, d, late]);
  assert.equal(names(path), 'a:start-stop e:start-stop');
  assert.equal(buildSeconds(runsOf(path)), 8 + 10);
});

test('the schedule critical path follows command slots when preparation overlaps other builds', () => {
  // One command slot, two chunks in flight: y is prepared while x builds and
  // waits for x's slot; z starts when x is stored and waits for y's slot.
  const x = run('x', 0, 2, 2, 5, 6);
  const y = run('y', 0, 1.5, 5, 8, 9);
  const z = run('z', 6, 7, 8, 11, 12);
  const path = scheduleCriticalPath([x, y, z]);
  assert.equal(names(path), 'x:start-build y:build-build z:build-stop');
  assert.equal(buildSeconds(runsOf(path)), 9);
  // The whole wall time: x's preparation, then three build stages, then z's storing.
  close(pathSeconds(path), 12);
  // Stepping back only from whole intervals would skip y: z started when x stopped.
  assert.ok(buildSeconds(runsOf(path)) > x.build + z.build);
});

test('the dependency critical path is the longest chain of build stages', () => {
  const deps = new Map([
    ['d', ['a']],
    ['e', ['a', 'missing']],
    ['c', []],
  ]);
  assert.equal(
    dependencyCriticalPath([a, b, c, d, e], deps)
      .map((r) => r.name)
      .join(' '),
    'a e',
  );
  assert.equal(buildSeconds(dependencyCriticalPath([a, b, c, d, e], deps)), 18);
  // Without dependencies the longest single build stage.
  assert.equal(dependencyCriticalPath([a, b, c, d, e], new Map())[0]?.name, 'e');
  const cycle = new Map([
    ['a', ['b']],
    ['b', ['a']],
  ]);
  assert.throws(() => dependencyCriticalPath([a, b], cycle), /cycle/);
});

test('chunkRunFromMeta reads the stages around the build stage', () => {
  const at = (s: string): string => `2026-01-01T00:00:${s}Z`;
  const meta = JSON.stringify({
    'build-times': {
      'install-dependencies': { start: at('00.000'), stop: at('01.000'), delta: 1 },
      'extract-sources': { start: at('01.000'), stop: at('01.200'), delta: 0.2 },
      build: { start: at('01.500'), stop: at('03.750'), delta: 2.25 },
      'create-chunks': { start: at('03.750'), stop: at('04.000'), delta: 0.25 },
    },
  });
  const seconds = (s: string): number => Date.parse(at(s)) / 1000;
  assert.deepEqual(chunkRunFromMeta('x', meta), {
    name: 'x',
    start: seconds('00.000'),
    ready: seconds('01.200'),
    buildStart: seconds('01.500'),
    buildStop: seconds('03.750'),
    stop: seconds('04.000'),
    build: 2.25,
  });
  assert.equal(chunkRunFromMeta('s', JSON.stringify({ 'build-times': {} })), undefined);
});
