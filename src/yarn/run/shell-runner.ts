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
 *   tmpfs, read after the step (no per-chunk IPC). A series of steps (the
 *   consecutive shell steps of one phase) goes to the shell as one compound
 *   command that stops at the first non-zero status and prints each step's
 *   status as it ends: the shell forks the next step's subshell while this
 *   process reads the last one's outputs, instead of waiting for a round trip
 *   per step. Step N of a series has its own script and output files
 *   (`step-N.sh`, `stdout-N`); `$0` names the lane's `step.sh` for all.
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

/** Callbacks of a series of steps (see `ShellRunner.runSeries`). */
export interface SeriesHooks {
  /** Step `index` starts; returns its timeout in ms (undefined: none). */
  started(index: number): number | undefined;
  /** Step `index` ended with `outcome`. */
  finished(index: number, outcome: ShellStepOutcome): void;
}

export interface ShellRunner {
  run(request: ShellStepRequest): Promise<ShellStepOutcome>;
  /**
   * Runs `requests` in order until one does not pass (non-zero status, timed
   * out or interrupted), telling `hooks` as each starts and ends; the
   * requests' own `timeoutMs` are ignored in favour of `hooks.started`'s.
   */
  runSeries(requests: readonly ShellStepRequest[], hooks: SeriesHooks): Promise<void>;
  /** Kills whatever the steps left running, stops the shell and waits until it is reaped. */
  close(): Promise<void>;
}

function passed(outcome: ShellStepOutcome): boolean {
  return outcome.exitCode === 0 && !outcome.timedOut && !outcome.interrupted;
}

/** `runSeries` for runners that run one step at a time. */
async function runOneByOne(
  runner: ShellRunner,
  requests: readonly ShellStepRequest[],
  hooks: SeriesHooks,
): Promise<void> {
  for (let i = 0; i < requests.length; i++) {
    const timeoutMs = hooks.started(i);
    const outcome = await runner.run({ ...requests[i]!, timeoutMs });
    hooks.finished(i, outcome);
    if (!passed(outcome)) return;
  }
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

/** The series the shell is running. */
interface Pending {
  readonly count: number;
  readonly hooks: SeriesHooks;
  readonly resolve: () => void;
  /** The step running now (from this side's view: its predecessor's status arrived). */
  index: number;
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
  /** What step N's script file holds (rewritten only when that step's script differs). */
  private readonly lastScripts: string[] = [];
  private readonly setLine: string;

  constructor(
    private readonly dir: string,
    private readonly shell: string,
    shellArgs: readonly string[],
    private readonly srcdir: string,
  ) {
    this.setLine = shellArgs.length > 0 ? `set ${shellArgs.join(' ')}; ` : '';
  }

  /** Step `index`'s script and output files (the first step's script is `$0`). */
  private files(index: number): { script: string; out: string; err: string } {
    const n = index === 0 ? '' : `-${index + 1}`;
    return {
      script: join(this.dir, `step${n}.sh`),
      out: join(this.dir, `stdout${n}`),
      err: join(this.dir, `stderr${n}`),
    };
  }

  private start(): Promise<void> {
    const child = spawn(this.shell, ['-s'], {
      argv0: this.files(0).script,
      cwd: this.srcdir,
      env: process.env.PATH === undefined ? {} : { PATH: process.env.PATH },
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true,
    });
    this.child = child;
    // EPIPE when the shell died: its 'exit' event reports that.
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
          } else this.stepEnded(Number.parseInt(line, 10));
        }
      });
      child.on('error', (err) => reject(err));
      // 'close', not 'exit': the statuses the shell printed before it died are read first.
      child.on('close', () => {
        if (!started) reject(new Error(`${this.shell} exited before it was ready`));
        if (this.child !== child) return;
        this.dropChild();
        // A dead shell fails the running step (killed on timeout/interrupt, or a step killed it).
        this.stepEnded(137, true);
      });
    });
    return ready;
  }

  private dropChild(): void {
    this.child?.stdin?.end();
    this.child = undefined;
    this.ready = undefined;
  }

  /** Starts the timer of the series' current step. */
  private stepStarted(p: Pending): void {
    const timeoutMs = p.hooks.started(p.index);
    if (timeoutMs !== undefined && timeoutMs > 0) {
      p.timer = setTimeout(() => {
        p.timedOut = true;
        killGroup(this.child?.pid);
      }, timeoutMs);
    }
  }

  private stepEnded(status: number, shellDied = false): void {
    const p = this.pending;
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    p.timer = undefined;
    const files = this.files(p.index);
    const outcome: ShellStepOutcome = {
      exitCode: Number.isNaN(status) ? 1 : status,
      stdout: readCapped(files.out),
      stderr: readCapped(files.err),
      timedOut: p.timedOut,
      interrupted: p.interrupted,
    };
    p.hooks.finished(p.index, outcome);
    if (passed(outcome) && !shellDied && p.index + 1 < p.count) {
      p.index++;
      this.stepStarted(p);
      return;
    }
    this.pending = undefined;
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    p.resolve();
  }

  async run(request: ShellStepRequest): Promise<ShellStepOutcome> {
    let result: ShellStepOutcome | undefined;
    await this.runSeries([request], {
      started: () => request.timeoutMs,
      finished: (_, outcome) => {
        result = outcome;
      },
    });
    return result!;
  }

  /** One step's subshell: its directory, environment, outputs, script. */
  private stepCommand(request: ShellStepRequest, index: number): string {
    const files = this.files(index);
    const script = this.setLine + request.script;
    if (script !== this.lastScripts[index]) {
      // The newline before `}` ends a last line that is a comment or a here-document terminator.
      writeFileSync(files.script, `yarn_step() { ${script}\n}\n`);
      this.lastScripts[index] = script;
    }
    const exports = Object.entries(request.env)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const cd = request.cwd === this.srcdir ? '' : `cd ${quote(request.cwd)} || exit 1\nunset OLDPWD\n`;
    return `(\n${cd}export ${exports}\nexec </dev/null >${quote(files.out)} 2>${quote(files.err)}\n. ${quote(files.script)}\nyarn_step\n)`;
  }

  async runSeries(requests: readonly ShellStepRequest[], hooks: SeriesHooks): Promise<void> {
    const signal = requests[0]?.signal;
    if (requests.length === 0) return;
    if (signal?.aborted) {
      hooks.started(0);
      hooks.finished(0, { exitCode: 130, stdout: '', stderr: '', timedOut: false, interrupted: true });
      return;
    }
    this.ready ??= this.start();
    await this.ready;
    // `STEP; case $? in 0) echo 0; NEXT…;; *) echo "$?";; esac`: no variable the steps could
    // see, and no step in an `if` condition or an `&&` list, where `set -e` would be ignored.
    let command = '';
    for (let i = requests.length - 1; i >= 0; i--) {
      const step = this.stepCommand(requests[i]!, i);
      command =
        i === requests.length - 1
          ? `${step}\necho "$?"\n`
          : `${step}\ncase $? in 0) echo 0\n${command};;\n*) echo "$?";;\nesac\n`;
    }
    return new Promise<void>((resolve) => {
      const pending: Pending = {
        count: requests.length,
        hooks,
        resolve,
        index: 0,
        timedOut: false,
        interrupted: false,
        signal,
      };
      this.pending = pending;
      this.stepStarted(pending);
      if (signal) {
        pending.onAbort = () => {
          pending.interrupted = true;
          killGroup(this.child?.pid);
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.child!.stdin!.write(command);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    this.dropChild();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Reaped before this process exits, so its CPU time counts as ours (/usr/bin/time, wait4).
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child.pid);
    await exited;
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

  runSeries(requests: readonly ShellStepRequest[], hooks: SeriesHooks): Promise<void> {
    return runOneByOne(this, requests, hooks);
  }

  async close(): Promise<void> {
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
