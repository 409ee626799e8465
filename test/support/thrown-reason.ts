import assert from 'node:assert/strict';
import { MorphError, type MorphReason } from '../../src/morph/errors.js';

/**
 * For tests (HS-6.7: assert `reason`, not wording): runs `fn` and returns the
 * `reason` of the MorphError it throws; fails the test if it throws anything
 * else or nothing.
 */
export function thrownReason(fn: () => unknown): MorphReason {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MorphError, String(err));
    return err.reason;
  }
  assert.fail('expected an error');
}
