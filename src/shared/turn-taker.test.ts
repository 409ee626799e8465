import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TurnTaker } from './turn-taker.js';

test('TurnTaker lets a timer run during a long loop that calls maybeYield, and not within a slice', async () => {
  let fired = false;
  setTimeout(() => {
    fired = true;
  }, 1);
  const turns = new TurnTaker(2);
  const start = performance.now();
  let firedDuringLoop = false;
  while (performance.now() - start < 50) {
    await turns.maybeYield();
    if (fired) firedDuringLoop = true;
  }
  assert.ok(firedDuringLoop, 'the timer waited for the whole loop');
  // Within a slice it resolves without a turn of the loop: an immediate does not run in between.
  const quick = new TurnTaker(1000);
  let immediate = false;
  setImmediate(() => {
    immediate = true;
  });
  for (let i = 0; i < 100; i++) await quick.maybeYield();
  assert.equal(immediate, false);
});
