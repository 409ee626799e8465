/**
 * Runs shell step scripts. Two implementations with one interface:
 *
 * - `PersistentShell`: one long-lived `/bin/sh` (dash/ash) per worker lane,
 *   reading commands from its stdin (`sh -s`, with `argv[0]` = the script
 *   path, so `$0` is the script path as in the reference); each step runs in
 *   a subshell `( export ENV; exec </dev/null >out 2>err; . SCRIPT; yarn_step )`
 *   where SCRIPT defines `yarn_step() { set -xeu; BODY }`. Running the body
 *   as a function called at the shell's top level (not inside `.`) makes
 *   dash's diagnostics the reference's: `SCRIPT: LINE: x: not found`, one
 *   script name, and line numbers counted from the function's first line,
 *   which is the script's (the `--shell-arg` flags are the first command of
 *   that line, so the `-x` trace starts where the reference's does). The
 *   environment is exactly the clean one (the parent shell has only PATH),
 *   stdin is empty, the library is in the script. Outputs go to files on
 *   tmpfs, read after the step (no per-chunk IPC).
 * - `FreshShell`: the reference's way, `SHELL ARGS SCRIPT` per step, for
 *   shells that are not dash/ash or flags `set` cannot take.
 *
 * Both run the step's processes in a process group that is killed on
 * timeout or interrupt.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { capText, readCapped } from './capped-output.js';

export interface ShellStepRequest {
  /** Full script text (libraries + body). */
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ShellStepOutcome {
  /** The shell's exit status; negative for a signal (fresh mode, as the reference prints it). */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
}

export interface ShellRunner {
  run(request: ShellStepRequest): Promise<ShellStepOutcome>;
  /** Kills whatever the steps left running and stops the shell. */
  close(): void;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const SET_FLAG = /^[-+][abCefhmnuvx]+$/;

/** True when the persistent-shell mode can reproduce `SHELL ARGS FILE` for these settings. */
export function canPersist(shell: string, args: readonly string[]): boolean {
  if (!args.every((a) => SET_FLAG.test(a))) return false;
  let real: string;
  try {
    real = basename(realpathSync(shell));
  } catch {
    return false;
  }
  return real === 'dash' || real === 'ash' || real === 'busybox';
}

interface Pending {
  resolve: (outcome: ShellStepOutcome) => void;
  timer?: NodeJS.Timeout;
  timedOut: boolean;
  interrupted: boolean;
  onAbort?: () => void;
  signal?: AbortSignal;
}

/** One persistent shell (see the module comment). `dir` must be private to this lane. */
export class PersistentShell implements ShellRunner {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private pending: Pending | undefined;
  private buffer = '';
  /** What step.sh holds (rewritten only when the next step's script differs). */
  private lastScript: string | undefined;
  private readonly scriptPath: string;
  private readonly outPath: string;
  private readonly errPath: string;
  private readonly setLine: string;

  constructor(
    dir: string,
    private readonly shell: string,
    shellArgs: readonly string[],
    private readonly srcdir: string,
  ) {
    this.scriptPath = join(dir, 'step.sh');
    this.outPath = join(dir, 'stdout');
    this.errPath = join(dir, 'stderr');
    this.setLine = shellArgs.length > 0 ? `set ${shellArgs.join(' ')}; ` : '';
  }

  private start(): Promise<void> {
    const child = spawn(this.shell, ['-s'], {
      argv0: this.scriptPath,
      cwd: this.srcdir,
      env: process.env.PATH === undefined ? {} : { PATH: process.env.PATH },
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true,
    });
    this.child = child;
    child.stdin!.on('error', () => {});
    child.stdin!.write('echo ready\n');
    this.buffer = '';
    const ready = new Promise<void>((resolve, reject) => {
      let started = false;
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        this.buffer += chunk;
        for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
          const line = this.buffer.slice(0, nl);
          this.buffer = this.buffer.slice(nl + 1);
          if (!started && line === 'ready') {
            started = true;
            resolve();
          } else this.finish(Number.parseInt(line, 10));
        }
      });
      child.on('error', (err) => reject(err));
      child.on('exit', () => {
        if (this.child === child) this.dropChild();
        if (!started) reject(new Error(`${this.shell} exited before it was ready`));
        // A dead shell fails the running step (killed on timeout/interrupt, or a step killed it).
        this.finish(137);
      });
    });
    return ready;
  }

  private dropChild(): void {
    this.child?.stdin?.end();
    this.child = undefined;
    this.ready = undefined;
  }

  private finish(status: number): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (p.timer) clearTimeout(p.timer);
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    p.resolve({
      exitCode: Number.isNaN(status) ? 1 : status,
      stdout: readCapped(this.outPath),
      stderr: readCapped(this.errPath),
      timedOut: p.timedOut,
      interrupted: p.interrupted,
    });
  }

  async run(request: ShellStepRequest): Promise<ShellStepOutcome> {
    if (request.signal?.aborted) {
      return { exitCode: 130, stdout: '', stderr: '', timedOut: false, interrupted: true };
    }
    this.ready ??= this.start();
    await this.ready;
    const script = this.setLine + request.script;
    if (script !== this.lastScript) {
      // The newline before `}` ends a last line that is a comment or a here-document terminator.
      writeFileSync(this.scriptPath, `yarn_step() { ${script}\n}\n`);
      this.lastScript = script;
    }
    const exports = Object.entries(request.env)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const cd = request.cwd === this.srcdir ? '' : `cd ${quote(request.cwd)} || exit 1\nunset OLDPWD\n`;
    const command = `(\n${cd}export ${exports}\nexec </dev/null >${quote(this.outPath)} 2>${quote(this.errPath)}\n. ${quote(this.scriptPath)}\nyarn_step\n)\necho "$?"\n`;
    return new Promise<ShellStepOutcome>((resolve) => {
      const pending: Pending = { resolve, timedOut: false, interrupted: false, signal: request.signal };
      this.pending = pending;
      if (request.timeoutMs !== undefined && request.timeoutMs > 0) {
        pending.timer = setTimeout(() => {
          pending.timedOut = true;
          killGroup(this.child?.pid);
        }, request.timeoutMs);
      }
      if (request.signal) {
        pending.onAbort = () => {
          pending.interrupted = true;
          killGroup(this.child?.pid);
        };
        request.signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.child!.stdin!.write(command);
    });
  }

  close(): void {
    const child = this.child;
    this.dropChild();
    killGroup(child?.pid);
  }
}

/** The reference's way: a new `SHELL ARGS SCRIPT` process per step. */
export class FreshShell implements ShellRunner {
  private counter = 0;
  private readonly groups = new Set<number>();

  constructor(
    private readonly dir: string,
    private readonly shell: string,
    private readonly shellArgs: readonly string[],
  ) {}

  run(request: ShellStepRequest): Promise<ShellStepOutcome> {
    const script = join(this.dir, `step-${++this.counter}.sh`);
    writeFileSync(script, request.script);
    return new Promise((resolve) => {
      let timedOut = false;
      let interrupted = false;
      const child = spawn(this.shell, [...this.shellArgs, script], {
        cwd: request.cwd,
        env: request.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      if (child.pid !== undefined) this.groups.add(child.pid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.stdin.on('error', () => {});
      child.stdin.end();
      const timer =
        request.timeoutMs !== undefined && request.timeoutMs > 0
          ? setTimeout(() => {
              timedOut = true;
              killGroup(child.pid);
            }, request.timeoutMs)
          : undefined;
      const onAbort = () => {
        interrupted = true;
        killGroup(child.pid);
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      let spawnError = '';
      child.on('error', (e) => {
        spawnError = `${this.shell}: ${e.message}\n`;
      });
      child.on('close', (code, sig) => {
        if (timer) clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        if (child.pid !== undefined) this.groups.delete(child.pid);
        resolve({
          exitCode: code ?? (sig ? -signalNumber(sig) : 1),
          stdout: capText(Buffer.concat(out).toString()),
          stderr: capText(Buffer.concat(err).toString() + spawnError),
          timedOut,
          interrupted,
        });
      });
    });
  }

  close(): void {
    for (const pid of this.groups) killGroup(pid);
    this.groups.clear();
  }
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function signalNumber(sig: NodeJS.Signals): number {
  return SIGNALS[sig] ?? 1;
}
