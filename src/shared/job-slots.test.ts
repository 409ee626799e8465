import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobSlots } from './job-slots.js';

test('no more than `size` holders at once, served in order, freed on failure too', async () => {
  const slots = new JobSlots(2);
  const started: number[] = [];
  let peak = 0;
  const gates: (() => void)[] = [];
  const jobs = [0, 1, 2, 3].map((n) =>
    slots.run(async () => {
      started.push(n);
      peak = Math.max(peak, slots.busy);
      await new Promise<void>((resolve) => gates.push(resolve));
      if (n === 0) throw new Error('job 0 fails');
      return n;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1], 'two run, two wait');
  gates.shift()?.(); // job 0 fails: its slot goes to job 2
  await assert.rejects(jobs[0] as Promise<number>, /job 0 fails/);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1, 2]);
  while (gates.length > 0 || started.length < 4) {
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(await Promise.all(jobs.slice(1)), [1, 2, 3]);
  assert.equal(peak, 2);
  assert.equal(slots.busy, 0);
  assert.throws(() => new JobSlots(0), /at least 1/);
});
