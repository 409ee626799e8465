import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallsInFlight, inBatches } from './calls-in-flight.js';

describe('CallsInFlight', () => {
  it('runs at most `limit` calls at once and waits for all of them', async () => {
    const calls = new CallsInFlight(3);
    let running = 0;
    let most = 0;
    let finished = 0;
    for (let i = 0; i < 10; i++) {
      await calls.add(async () => {
        running++;
        most = Math.max(most, running);
        await sleep(5 + (i % 3) * 5);
        running--;
        finished++;
      });
    }
    await calls.done();
    assert.deepEqual([most, finished], [3, 10]);
  });

  it('throws the first failure, after the other calls have ended', async () => {
    const calls = new CallsInFlight(2);
    let slowEnded = false;
    await calls.add(async () => {
      await sleep(30);
      slowEnded = true;
    });
    await calls.add(async () => {
      throw new Error('refused');
    });
    await assert.rejects(calls.done(), /refused/);
    assert.equal(slowEnded, true);
  });
});

describe('inBatches', () => {
  it('groups small items up to the batch size (200 bytes of framing each) and sends large ones alone', async () => {
    const batches: number[][] = [];
    const singles: number[] = [];
    await inBatches([300, 300, 300, 5000, 100, 300], 1000, {
      size: (item) => item,
      batch: async (items) => {
        batches.push(items);
      },
      single: async (item) => {
        singles.push(item);
      },
    });
    assert.deepEqual(batches, [[300, 300], [300, 100], [300]]);
    assert.deepEqual(singles, [5000]);
  });
});
