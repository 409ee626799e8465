/** The three classes of status message (docs/spec/morph.md 1.4). */
export type StatusLevel = 'normal' | 'chatty' | 'error';

/**
 * Writes progress messages as status lines `YYYY-MM-DD HH:MM:SS <prefix><message>`
 * (UTC) to stdout per the verbose/quiet rules, and every one to the log.
 */
export interface StatusReporter {
  /** Shown unless `--quiet`. */
  normal(message: string): void;
  /** Shown only with `--verbose`. */
  chatty(message: string): void;
  /** Always shown (a problem that is not fatal, or the last word before an error). */
  error(message: string): void;
  /** A reporter whose lines carry `prefix` before the message (build/deploy positions). */
  withPrefix(prefix: string): StatusReporter;
}

/** Where status lines go and which are shown. */
export interface StatusSink {
  readonly verbose: boolean;
  readonly quiet: boolean;
  /** Writes one complete line (with its newline) to stdout. */
  write(line: string): void;
  /** Writes one complete line to the log, shown or not. */
  log?(line: string): void;
  /** The clock (tests pin it). */
  now?(): Date;
}

/** True when a status line of `level` is printed on stdout (docs/spec/morph.md 1.4). */
export function isShown(level: StatusLevel, verbose: boolean, quiet: boolean): boolean {
  return verbose || level === 'error' || (!quiet && level !== 'chatty');
}

/** `YYYY-MM-DD HH:MM:SS <text>` in UTC, with a newline. */
export function formatStatusLine(date: Date, text: string): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} ${text}\n`;
}

/** Creates a reporter writing to `sink`. */
export function createStatusReporter(sink: StatusSink, prefix = ''): StatusReporter {
  const emit = (level: StatusLevel, message: string): void => {
    const line = formatStatusLine(sink.now?.() ?? new Date(), `${prefix}${message}`);
    sink.log?.(line);
    if (isShown(level, sink.verbose, sink.quiet)) sink.write(line);
  };
  return {
    normal: (message) => emit('normal', message),
    chatty: (message) => emit('chatty', message),
    error: (message) => emit('error', message),
    withPrefix: (more) => createStatusReporter(sink, `${prefix}${more}`),
  };
}
