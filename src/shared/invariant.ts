/**
 * An impossible state was reached: a bug in this program, never a mistake in
 * its input. The CLIs report it as an internal error (exit 1, message on
 * stderr); nothing catches it on purpose.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/**
 * Asserts what the code around it guarantees; `what` says what should have
 * held (the message reads `BUG: <what>`).
 * @throws InvariantError when `condition` is falsy.
 */
export function invariant(condition: unknown, what: string): asserts condition {
  if (!condition) throw new InvariantError(`BUG: ${what}`);
}
