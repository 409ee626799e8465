import { AppError } from '../shared/app-error.js';

/** The machine-readable codes of YarnError (HS-6.1). */
export type YarnErrorCode =
  | 'USAGE'
  | 'FILE_READ'
  | 'SYNTAX'
  | 'NO_SCENARIOS'
  | 'DUPLICATE_SCENARIO'
  | 'NO_THEN'
  | 'STEP_UNDEFINED'
  | 'STEP_AMBIGUOUS'
  | 'BAD_PATTERN'
  | 'STEP_MODULE'
  | 'NO_SUCH_SCENARIO'
  | 'BAD_ENV'
  | 'SHELL_LIBRARY'
  | 'TEMP_DIR'
  | 'SNAPSHOT'
  | 'STEP_CALL'
  | 'CONFIG'
  | 'HOOK';

/**
 * A user-facing yarn-run error: one-line message, optional hint and
 * `file:line` location. Some reference errors span several lines (the list
 * of duplicate names, of ambiguous candidates); those lines go in `details`.
 */
export class YarnError extends AppError {
  declare readonly code: YarnErrorCode;
  /** `file:line` (or a step module's own label) printed after the message. */
  readonly location: string | undefined;
  /** Extra lines printed after the message, verbatim. */
  readonly details: readonly string[];
  constructor(
    code: YarnErrorCode,
    message: string,
    options: { hint?: string; location?: string; cause?: unknown; details?: readonly string[] } = {},
  ) {
    super(code, message, options);
    this.location = options.location;
    this.details = options.details ?? [];
  }
}
