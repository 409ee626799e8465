import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BusyClock } from './busy-clock.js';

/** A piece of work that ends when the test says so. */
function work(): { promise: Promise<void>; end: () => void; fail: () => void } {
  let end = (): void => {};
  let fail = (): void => {};
  const promise = new Promise<void>((resolve, reject) => {
    end = resolve;
    fail = () => reject(new Error('engine gone'));
  });
  return { promise, end, fail };
}

describe('BusyClock', () => {
  it('counts overlapping work once, and the gaps between work not at all', async () => {
    let now = 1000;
    const clock = new BusyClock(() => now);
    const [a, b, c] = [work(), work(), work()];
    const timedA = clock.time(() => a.promise);
    now += 50;
    const timedB = clock.time(() => b.promise);
    now += 150;
    a.end();
    await timedA;
    now += 100;
    b.end();
    await timedB;
    assert.equal(clock.ms, 300);
    now += 1000;
    const timedC = clock.time(() => c.promise);
    now += 40;
    assert.equal(clock.ms, 340);
    c.end();
    await timedC;
    now += 500;
    assert.equal(clock.ms, 340);
  });

  it('counts work that failed', async () => {
    let now = 0;
    const clock = new BusyClock(() => now);
    const piece = work();
    const timed = clock.time(() => piece.promise);
    now += 70;
    piece.fail();
    await assert.rejects(timed, /engine gone/);
    now += 70;
    assert.equal(clock.ms, 70);
  });
});
