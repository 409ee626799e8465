import { spawn } from 'node:child_process';
import { AppError } from './app-error.js';

/** What a finished command left behind. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Uint8Array;
  /** Accept a non-zero exit instead of throwing CommandError. */
  allowFailure?: boolean;
  /** Called with each chunk of stdout/stderr as it arrives (progress, logs). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
}

/** A command that could not start or exited non-zero. */
export class CommandError extends AppError {
  readonly result: CommandResult | undefined;
  constructor(argv: readonly string[], result: CommandResult | undefined, cause?: unknown) {
    const what = argv.map(quoteArg).join(' ');
    const detail = result
      ? `exited with code ${result.exitCode}${result.stderr.trim() ? `: ${lastLines(result.stderr)}` : ''}`
      : `could not be started: ${(cause as Error | undefined)?.message ?? 'unknown error'}`;
    super('COMMAND_FAILED', `command failed: ${what} ${detail}`, { cause });
    this.result = result;
  }
}

/**
 * Runs `argv` without a shell and collects its output.
 * @throws CommandError (code COMMAND_FAILED) when it cannot start or exits non-zero
 *   (unless `allowFailure`).
 */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      options.onStdout?.(chunk.toString());
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      options.onStderr?.(chunk.toString());
    });
    child.on('error', (cause) => reject(new CommandError(argv, undefined, cause)));
    child.on('close', (code, signal) => {
      const result = {
        exitCode: code ?? (signal ? 128 + signalNumber(signal) : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      };
      if (result.exitCode !== 0 && !options.allowFailure) reject(new CommandError(argv, result));
      else resolve(result);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Shell-quotes one argument for display (`# cmd args` status lines, repro commands). */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}
