import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { secretMask } from '../../shared/secret-mask.js';

/** morph's debug log (`--log FILE`, free format); a no-op without a file. */
export interface DebugLog {
  /** Appends one timestamped line. */
  debug(message: string): void;
  /** Appends text as it is (status lines, command output). */
  raw(text: string): void;
}

/**
 * Opens the debug log at `file` (appending; parent directories created), or
 * a log that drops everything when `file` is empty. Writes are synchronous so
 * nothing is lost when the process exits on an error. Secret values
 * (`secretMask`) are written as `***`.
 */
export function openDebugLog(file: string): DebugLog {
  if (file === '') return { debug: () => {}, raw: () => {} };
  mkdirSync(dirname(file), { recursive: true });
  const raw = (text: string): void => {
    try {
      appendFileSync(file, secretMask.mask(text));
    } catch {
      // A log that cannot be written must not turn a good run into a failure.
    }
  };
  return {
    debug: (message) => raw(`${new Date().toISOString().slice(0, 19).replace('T', ' ')} ${message}\n`),
    raw,
  };
}
