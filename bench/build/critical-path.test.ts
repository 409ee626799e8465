import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildSeconds,
  busySeconds,
  type ChunkRun,
  chunkRunFromMeta,
  dependencyCriticalPath,
  scheduleCriticalPath,
} from './critical-path.js';

// A hand-made schedule on two job slots (times in seconds):
//
//   slot 1: a [0, 10]             d [10.2, 20]
//   slot 2: b [0, 4]  c [4.5, 9]  e [9.1, 21]
//
// d build-depends on a; b, c and e are independent, so c starts when b frees
// slot 2 and e when c does.
const run = (name: string, start: number, stop: number, build: number): ChunkRun => ({
  name,
  start,
  stop,
  build,
});
const a = run('a', 0, 10, 8);
const b = run('b', 0, 4, 3);
const c = run('c', 4.5, 9, 4);
const d = run('d', 10.2, 20, 9);
const e = run('e', 9.1, 21, 10);
const names = (path: ChunkRun[]): string => path.map((r) => r.name).join(' ');

test('the schedule critical path follows freed job slots, not only dependencies', () => {
  const path = scheduleCriticalPath([a, b, c, d, e]);
  // e finished last; c ended latest before e started; b before c.
  assert.equal(names(path), 'b c e');
  assert.equal(buildSeconds(path), 17);
  assert.equal(busySeconds(path), 4 + 4.5 + 11.9);
});

test('the schedule critical path steps back to a dependency that ended last', () => {
  // Now e waits for a: it starts at 10.1, after a's end, while d takes the other slot.
  const late = run('e', 10.1, 21, 10);
  const path = scheduleCriticalPath([a, b, c, d, late]);
  assert.equal(names(path), 'a e');
  assert.equal(buildSeconds(path), 18);
});

test('the dependency critical path is the longest chain of build stages', () => {
  const deps = new Map([
    ['d', ['a']],
    ['e', ['a', 'missing']],
    ['c', []],
  ]);
  assert.equal(names(dependencyCriticalPath([a, b, c, d, e], deps)), 'a e');
  assert.equal(buildSeconds(dependencyCriticalPath([a, b, c, d, e], deps)), 18);
  // Without dependencies the longest single build stage.
  assert.equal(names(dependencyCriticalPath([a, b, c, d, e], new Map())), 'e');
  assert.throws(
    () =>
      dependencyCriticalPath(
        [a, b],
        new Map([
          ['a', ['b']],
          ['b', ['a']],
        ]),
      ),
    /cycle/,
  );
});

test('chunkRunFromMeta spans all stages and takes the build stage', () => {
  const meta = JSON.stringify({
    'build-times': {
      'install-dependencies': {
        start: '2026-01-01T00:00:00.000Z',
        stop: '2026-01-01T00:00:01.000Z',
        delta: 1,
      },
      build: { start: '2026-01-01T00:00:01.500Z', stop: '2026-01-01T00:00:03.750Z', delta: 2.25 },
      'create-chunks': { start: '2026-01-01T00:00:03.750Z', stop: '2026-01-01T00:00:04.000Z', delta: 0.25 },
    },
  });
  const parsed = chunkRunFromMeta('x', meta);
  assert.deepEqual(parsed, {
    name: 'x',
    start: Date.parse('2026-01-01T00:00:00.000Z') / 1000,
    stop: Date.parse('2026-01-01T00:00:04.000Z') / 1000,
    build: 2.25,
  });
  assert.equal(chunkRunFromMeta('s', JSON.stringify({ 'build-times': {} })), undefined);
});
