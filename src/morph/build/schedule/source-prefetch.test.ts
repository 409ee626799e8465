import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Prefetch } from './source-prefetch.js';

/** A piece maker whose pieces finish when the test says so. */
function maker() {
  const started: string[] = [];
  const finish = new Map<string, (value: string) => void>();
  const make = (key: string) => () => {
    started.push(key);
    return new Promise<string>((resolve) => finish.set(key, resolve));
  };
  return { started, finish: (key: string) => finish.get(key)?.(`piece ${key}`), make };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('pieces are made one at a time, in the order offered, at most a window of them waiting', async () => {
  const { started, finish, make } = maker();
  const discarded: string[] = [];
  const prefetch = new Prefetch<string>(2, async (piece) => {
    discarded.push(piece);
  });
  for (const key of ['a', 'b', 'c', 'd']) prefetch.offer(key, make(key));
  assert.deepEqual(started, ['a'], 'one at a time');
  finish('a');
  await tick();
  assert.deepEqual(started, ['a', 'b']);
  finish('b');
  await tick();
  assert.deepEqual(started, ['a', 'b'], 'two made and not taken fill the window');
  assert.equal(await prefetch.take('a'), 'piece a');
  await tick();
  assert.deepEqual(started, ['a', 'b', 'c'], 'taking one makes room for the next');
  assert.equal(prefetch.take('d'), undefined, 'a piece not started is withdrawn');
  finish('c');
  await prefetch.close();
  assert.deepEqual(started, ['a', 'b', 'c'], 'a withdrawn piece is never made');
  assert.deepEqual(discarded.sort(), ['piece b', 'piece c'], 'what was made and not taken is discarded');
  prefetch.offer('e', make('e'));
  assert.deepEqual(started, ['a', 'b', 'c'], 'nothing starts after close');
});

test('a piece that failed is handed over with its failure, and the next one is made', async () => {
  const prefetch = new Prefetch<string>(4, async () => {});
  prefetch.offer('bad', () => Promise.reject(new Error('no such commit')));
  prefetch.offer('good', async () => 'fine');
  await tick();
  await assert.rejects(prefetch.take('bad') as Promise<string>, /no such commit/);
  assert.equal(await prefetch.take('good'), 'fine');
  assert.equal(prefetch.take('good'), undefined, 'a piece is taken once');
  await prefetch.close();
});
