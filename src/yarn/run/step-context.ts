/**
 * The per-scenario `StepContext` given to TypeScript steps: paths, the clean
 * environment, shared vars, commands run in their own process groups,
 * cleanups (run after FINALLY, newest first) and calling other steps.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunOptions, RunResult, StepContext, WorkerContext } from '../api.js';
import { killGroup } from './shell-runner.js';

/** Output a TS step produced (its `log` lines and the commands it ran). */
export interface StepOutput {
  stdout: string;
  stderr: string;
}

/** The signal of a context before its first TS step: never aborted (one for all contexts). */
const NOT_ABORTED = new AbortController().signal;

/** The concrete context; the runner drives `beginStep`/`endStep`/`runCleanups`. */
export class ScenarioContext implements StepContext {
  readonly vars = new Map<string, unknown>();
  lastRun: RunResult | undefined;
  private currentSignal: AbortSignal = NOT_ABORTED;
  private output: StepOutput = { stdout: '', stderr: '' };
  private readonly cleanups: (() => void | Promise<void>)[] = [];
  private readonly groups = new Set<number>();
  /** Groups started by the current step (killed alone when it times out). */
  private stepGroups = new Set<number>();

  constructor(
    readonly scenario: string,
    readonly datadir: string,
    readonly srcdir: string,
    readonly env: Readonly<Record<string, string>>,
    private readonly callStep: (text: string, ctx: ScenarioContext) => Promise<void>,
    readonly worker: WorkerContext,
  ) {}

  get home(): string {
    return join(this.datadir, 'HOME');
  }

  get signal(): AbortSignal {
    return this.currentSignal;
  }

  /** Starts capturing output for a new step, aborted by `signal`. */
  beginStep(signal: AbortSignal): void {
    this.currentSignal = signal;
    this.stepGroups = new Set();
    this.output = { stdout: '', stderr: '' };
  }

  /** The output captured since `beginStep`. */
  takeOutput(): StepOutput {
    const out = this.output;
    this.output = { stdout: '', stderr: '' };
    return out;
  }

  /** Appends output produced on this context's behalf (nested shell steps). */
  appendOutput(stdout: string, stderr: string): void {
    this.output.stdout += stdout;
    this.output.stderr += stderr;
  }

  path(...parts: string[]): string {
    return join(this.datadir, ...parts);
  }

  log(message: string): void {
    this.output.stdout += message.endsWith('\n') ? message : `${message}\n`;
  }

  defer(cleanup: () => void | Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  step(text: string): Promise<void> {
    return this.callStep(text, this);
  }

  sh(script: string, options?: RunOptions): Promise<RunResult> {
    return this.run(['sh', '-c', script], options);
  }

  run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
    const [file, ...args] = argv;
    const signal = this.currentSignal;
    this.output.stderr += `+ ${argv.map(shellQuote).join(' ')}\n`;
    return new Promise((resolve) => {
      if (file === undefined || signal.aborted) {
        const r = { command: argv, exitCode: file === undefined ? 127 : 130, stdout: '', stderr: '' };
        this.lastRun = r;
        resolve(r);
        return;
      }
      const child = spawn(file, args, {
        cwd: options.cwd ?? this.datadir,
        env: { ...this.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const pid = child.pid;
      if (pid !== undefined) {
        this.groups.add(pid);
        this.stepGroups.add(pid);
      }
      const onAbort = () => {
        if (pid !== undefined) killGroup(pid);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let spawnError = '';
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.stdin.on('error', () => {});
      child.stdin.end(options.input ?? '');
      child.on('error', (e) => {
        spawnError = `${file}: ${e.message}\n`;
      });
      child.on('close', (code, sig) => {
        signal.removeEventListener('abort', onAbort);
        const result: RunResult = {
          command: argv,
          exitCode: spawnError
            ? 127
            : (code ?? (sig ? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : 1) : 127)),
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString() + spawnError,
        };
        this.output.stdout += result.stdout;
        this.output.stderr += result.stderr;
        if (result.exitCode !== 0) this.output.stderr += `(exit code ${result.exitCode})\n`;
        this.lastRun = result;
        resolve(result);
      });
    });
  }

  /** Runs the deferred cleanups, newest first; returns the messages of those that failed. */
  async runCleanups(): Promise<string[]> {
    const failures: string[] = [];
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop()!;
      try {
        await cleanup();
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
    return failures;
  }

  /** Kills the process groups the current step started (timeout, interrupt). */
  killStep(): void {
    for (const pid of this.stepGroups) killGroup(pid);
    this.stepGroups.clear();
  }

  /** Kills every process group started through `run` that is still alive. */
  killAll(): void {
    for (const pid of this.groups) killGroup(pid);
    this.groups.clear();
  }
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
