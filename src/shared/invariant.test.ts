import assert, { AssertionError } from 'node:assert/strict';
import { test } from 'node:test';
import { InvariantError, invariant } from './invariant.js';

test('invariant passes what holds and throws a BUG assertion for what does not', () => {
  invariant(1 + 1 === 2, 'arithmetic works');
  assert.throws(
    () => invariant(false, 'x is set'),
    (err: unknown) => {
      assert.ok(err instanceof InvariantError && err instanceof AssertionError);
      assert.equal(err.message, 'BUG: x is set');
      return true;
    },
  );
});
