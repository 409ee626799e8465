import { AssertionError } from 'node:assert';

/**
 * An impossible state was reached: a bug in this program, never a mistake in
 * its input. An AssertionError, so the CLIs report it as they report failed
 * asserts (`BUG:` and the stack on stderr, exit 1); nothing catches it on purpose.
 */
export class InvariantError extends AssertionError {
  /** @param message `BUG: ` and what should have held. */
  constructor(message: string) {
    super({ message });
  }
}

/**
 * Asserts what the code around it guarantees; `what` says what should have
 * held (the message reads `BUG: <what>`).
 * @throws InvariantError when `condition` is falsy.
 */
export function invariant(condition: unknown, what: string): asserts condition {
  if (!condition) throw new InvariantError(`BUG: ${what}`);
}
