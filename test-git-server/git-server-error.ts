import { AppError } from '../src/shared/app-error.js';

/** The test git server could not start (code GIT_SERVER_FAILED). */
export class GitServerError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('GIT_SERVER_FAILED', message, { cause });
  }
}
