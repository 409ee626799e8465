import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { AppError } from './app-error.js';
import { type HelperResult, type SpawnHelper, spawnHelper } from './spawn-helper.js';

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
  /** `argv` is one command or a pipeline of them. */
  constructor(
    argv: readonly string[] | readonly (readonly string[])[],
    result: CommandResult | undefined,
    cause?: unknown,
  ) {
    const commands = (
      argv.length > 0 && Array.isArray(argv[0]) ? argv : [argv]
    ) as readonly (readonly string[])[];
    const what = commands.map((command) => command.map(quoteArg).join(' ')).join(' | ');
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
  return runPipeline([argv], options);
}

/**
 * Runs `a | b | c` without a shell: stdout chained, stderr of all collected,
 * exit code of the first failing command.
 * @throws CommandError (code COMMAND_FAILED) when one cannot start or the pipeline fails
 *   (unless `allowFailure`).
 */
export function runPipeline(
  pipeline: readonly (readonly string[])[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  if (pipeline.length === 0 || pipeline.some((argv) => argv.length === 0)) {
    throw new Error('runPipeline: empty argv');
  }
  const helper = spawnHelper();
  if (helper && pipeline.length === 1 && !options.onStdout && !options.onStderr) {
    if (helper.ready) return runByHelper(helper, pipeline[0]!, options);
    // The first commands do not wait for the helper to start.
    helper.warmUp();
  }
  return new Promise((resolve, reject) => {
    const children = pipeline.map(([file, ...args]) =>
      spawn(file!, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        signal: options.signal,
      }),
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const codes: number[] = new Array(children.length).fill(0);
    let open = children.length;
    let failedToStart = false;
    children.forEach((child, index) => {
      const next = children[index + 1];
      if (next) child.stdout.pipe(next.stdin);
      else
        child.stdout.on('data', (chunk: Buffer) => {
          out.push(chunk);
          options.onStdout?.(chunk.toString());
        });
      child.stderr.on('data', (chunk: Buffer) => {
        err.push(chunk);
        options.onStderr?.(chunk.toString());
      });
      child.stdin.on('error', () => {});
      child.on('error', (cause) => {
        failedToStart = true;
        reject(new CommandError(pipeline, undefined, cause));
      });
      child.on('close', (code, signal) => {
        codes[index] = code ?? (signal ? 128 + signalNumber(signal) : 1);
        if (--open > 0 || failedToStart) return;
        const result = {
          exitCode: codes.find((c) => c !== 0) ?? 0,
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
        };
        if (result.exitCode !== 0 && !options.allowFailure) reject(new CommandError(pipeline, result));
        else resolve(result);
      });
    });
    children[0]!.stdin.end(options.input ?? '');
  });
}

async function runByHelper(
  helper: SpawnHelper,
  argv: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  let ran: HelperResult;
  try {
    ran = await helper.run({
      argv,
      cwd: options.cwd,
      env: options.env ?? process.env,
      input: options.input,
      signal: options.signal,
    });
  } catch (cause) {
    throw new CommandError(argv, undefined, cause);
  }
  const result = { exitCode: ran.exitCode, stdout: ran.stdout.toString(), stderr: ran.stderr.toString() };
  if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(argv, result);
  return result;
}

/** Shell-quotes one argument for display (`# cmd args` status lines, repro commands). */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
