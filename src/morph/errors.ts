import { AppError } from '../shared/app-error.js';

/** Where in morph an error arose (HS-6.1). */
export type MorphDomain =
  | 'cli'
  | 'config'
  | 'sources'
  | 'workspace'
  | 'definitions'
  | 'cache'
  | 'build'
  | 'deploy'
  | 'extension';

/**
 * A user-facing morph error: printed by the CLI as `ERROR: <message>` on
 * stderr (plus `hint`), exit 1. `reason` is a stable kebab-case identifier
 * that tests assert on (`missing-field`, `not-in-workspace`, ...).
 */
export class MorphError extends AppError {
  readonly domain: MorphDomain;
  readonly reason: string;

  constructor(
    domain: MorphDomain,
    reason: string,
    message: string,
    options: { hint?: string; location?: string; cause?: unknown } = {},
  ) {
    super(`${domain}/${reason}`, message, options);
    this.domain = domain;
    this.reason = reason;
  }
}
