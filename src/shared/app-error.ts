/**
 * The base of every user-facing error of both programs (HS-6.1).
 *
 * `message` is one line; `hint` says what to do; `code` is machine-readable.
 * Each program's error family adds its own `location` (yarn-run: the
 * `file:line` label of a step or module; morph: data, `{file, line, column}`).
 */
export class AppError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** True when `err` is one of our typed, user-facing errors. */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
