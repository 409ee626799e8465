/**
 * The base of every user-facing error of both programs (HS-6.1).
 *
 * `message` is one line; `hint` says what to do; `code` is machine-readable;
 * `location` is `file:line[:col]` when the error has a source position.
 */
export class AppError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly location: string | undefined;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; location?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.location = options.location;
  }
}

/** True when `err` is one of our typed, user-facing errors. */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
