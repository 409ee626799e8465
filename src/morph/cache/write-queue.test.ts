import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { serialiseWrites } from './write-queue.js';

test('writes to one repository never overlap, even after a failure; other repositories run alongside', async () => {
  const events: string[] = [];
  const write = (repo: string, name: string, ms: number, fail = false) =>
    serialiseWrites(repo, async () => {
      events.push(`start ${name}`);
      await sleep(ms);
      events.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    });
  const results = await Promise.allSettled([
    write('/a', 'a1', 30, true),
    write('/a', 'a2', 5),
    write('/b', 'b1', 10),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'fulfilled', 'fulfilled'],
  );
  const a = events.filter((e) => e.includes(' a'));
  assert.deepEqual(a, ['start a1', 'end a1', 'start a2', 'end a2']);
  assert.ok(events.indexOf('start b1') < events.indexOf('end a1'), 'another repository is not held up');
});
