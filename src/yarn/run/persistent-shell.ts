/**
 * One long-lived `/bin/sh` (dash/ash) per worker lane, reading commands from
 * its stdin (`sh -s`, with `argv[0]` = the script path, so `$0` is the script
 * path as in the reference). Each step runs in a subshell
 * `( export MATCHES; exec </dev/null >out 2>err; . SCRIPT; yarn_step )` where
 * SCRIPT defines `yarn_step() { set -xeu; BODY }`. Running the body as a
 * function called at the shell's top level (not inside `.`) makes dash's
 * diagnostics the reference's: `SCRIPT: LINE: x: not found`, one script name,
 * and line numbers counted from the function's first line, which is the
 * script's (the `--shell-arg` flags are the first command of that line, so
 * the `-x` trace starts where the reference's does). The environment is
 * exactly the clean one: the run's own names (DATADIR, HOME, ...: the same for
 * every step of a series) are exported once in the lane's shell before the
 * series, and unset there when the next series has them no more; `--env`
 * names and MATCH_n are exported in each step's subshell, so no value given
 * by a user ever changes the lane's shell itself. Stdin is empty, the
 * library is in the script. Outputs go to files on tmpfs, read after the
 * step (no per-chunk IPC), and only when the step failed or something will
 * show them (`ShellStepRequest.passedOutput`).
 *
 * A series of steps (the consecutive shell steps of one phase) goes to the
 * shell as one compound command that stops at the first non-zero status and
 * prints each step's status as it ends: the shell forks the next step's
 * subshell while this process reads the last one's outputs, instead of
 * waiting for a round trip per step. When nothing watches single steps
 * (`ShellStepRequest.eachStatus` false: quiet, no report, log or timeout),
 * the shell keeps the statuses in `$yarn_statuses` (unset in every step's
 * subshell) and prints them all when the series ends: this process wakes
 * once per series, which on the project VM is 13-16 % of s100x20's wall
 * time.
 *
 * A series can also be sent ahead (`prepare`): the shell runs it as soon as
 * the series before it ends, and its statuses wait here until the caller
 * attaches to it (`runSeries(…, prepared)`). The run uses this for the next
 * scenario's first series while the current scenario's last one runs, so the
 * shell never waits for this process between scenarios. Series in the shell
 * at once use different sets of files ("banks"): step N of bank B has its
 * own script and output files (`step-N.sh`, `stdout-N` in bank 0; `…_B` in
 * the others); `$0` names the lane's `step.sh` for all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapped } from './capped-output.js';
import {
  killGroup,
  type PreparedSeries,
  passed,
  type SeriesHooks,
  type ShellRunner,
  type ShellStepOutcome,
  type ShellStepRequest,
} from './shell-runner.js';

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The names the run itself sets (clean-env.ts). When every step of a series
 * has the same value for one, it is exported once in the lane's shell
 * instead of in each step's subshell. Other names (`--env`, MATCH_n) stay in
 * the subshell: a name like IFS must never change the lane's shell itself.
 */
const LANE_NAMES: ReadonlySet<string> = new Set([
  'PATH',
  'TERM',
  'SHELL',
  'LC_ALL',
  'USER',
  'USERNAME',
  'LOGNAME',
  'DATADIR',
  'SRCDIR',
  'HOME',
  'PYTHONPATH',
]);

/** The lane names (`LANE_NAMES`) with one value in every request of a series. */
function sharedEnv(requests: readonly ShellStepRequest[]): Map<string, string> {
  const shared = new Map<string, string>();
  const [first, ...rest] = requests;
  for (const [name, value] of Object.entries(first?.env ?? {})) {
    if (LANE_NAMES.has(name) && rest.every((r) => r.env[name] === value)) shared.set(name, value);
  }
  return shared;
}

/** A step's files in a bank, and the end of its subshell that uses them. */
interface StepFiles {
  readonly script: string;
  readonly out: string;
  readonly err: string;
  /** `exec </dev/null >OUT 2>ERR`, `. SCRIPT`, `yarn_step`, `)`. */
  readonly run: string;
}

/** A status line of the shell (or the end of the shell), and when it came. */
interface Arrival {
  readonly status: number;
  readonly at: number;
  readonly shellDied: boolean;
}

/** A series sent to the shell, and what this side knows of it. */
class Series {
  /** The caller's hooks, once it attached (`runSeries`). */
  hooks?: SeriesHooks;
  resolve?: () => void;
  /** Statuses that came and are not yet reported to the hooks. */
  readonly arrivals: Arrival[] = [];
  /** The number of statuses that came in all. */
  arrived = 0;
  /** The shell has run every step it will run (a step failed, the last passed, or the shell died). */
  shellDone = false;
  /** The series is written to the current shell. */
  sent = false;
  /** The step the caller is told about next (it runs now, or ran). */
  index = 0;
  /** When step `index` began in the shell (the previous status came). */
  startedAt = 0;
  /** Each started step's timeout (from `hooks.started`). */
  readonly timeouts: (number | undefined)[] = [];
  timer?: NodeJS.Timeout;
  timedOut = false;
  interrupted = false;

  constructor(
    readonly requests: readonly ShellStepRequest[],
    readonly bank: number,
  ) {}

  get signal(): AbortSignal | undefined {
    return this.requests[0]?.signal;
  }
}

/** One persistent shell (see the module comment). `dir` must be private to this lane. */
export class PersistentShell implements ShellRunner {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  /** The series written to the current shell, oldest (running) first. */
  private queue: Series[] = [];
  /** Banks held by series whose outputs are not yet read. */
  private readonly banksInUse = new Set<number>();
  private buffer = '';
  /** The series not yet finished (`finish`), which an interrupt stops. */
  private readonly live = new Set<Series>();
  /** The signals this shell listens to (`watch`). */
  private readonly watched = new WeakSet<AbortSignal>();
  /** The files of each bank's steps (`files`). */
  private readonly fileSets: StepFiles[][] = [];
  /** What the lane's shell exports now, as the series written so far leave it. */
  private laneEnv = new Map<string, string>();
  /** What each script file holds (rewritten only when that step's script differs). */
  private readonly lastScripts = new Map<string, string>();
  private readonly setLine: string;

  constructor(
    private readonly dir: string,
    private readonly shell: string,
    shellArgs: readonly string[],
    private readonly srcdir: string,
  ) {
    this.setLine = shellArgs.length > 0 ? `set ${shellArgs.join(' ')}; ` : '';
  }

  /** Step `index`'s script and output files in `bank` (bank 0's first script is `$0`). */
  private files(index: number, bank: number): StepFiles {
    this.fileSets[bank] ??= [];
    const sets = this.fileSets[bank];
    let files = sets[index];
    if (!files) {
      const n = `${index === 0 ? '' : `-${index + 1}`}${bank === 0 ? '' : `_${bank}`}`;
      const script = join(this.dir, `step${n}.sh`);
      const out = join(this.dir, `stdout${n}`);
      const err = join(this.dir, `stderr${n}`);
      const run = `exec </dev/null >${quote(out)} 2>${quote(err)}\n. ${quote(script)}\nyarn_step\n)`;
      files = { script, out, err, run };
      sets[index] = files;
    }
    return files;
  }

  private start(): Promise<void> {
    const env: Record<string, string> = process.env.PATH === undefined ? {} : { PATH: process.env.PATH };
    const child = spawn(this.shell, ['-s'], {
      argv0: this.files(0, 0).script,
      cwd: this.srcdir,
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true,
    });
    this.child = child;
    this.laneEnv = new Map(Object.entries(env));
    // EPIPE when the shell died: its 'exit' event reports that.
    child.stdin!.on('error', () => {});
    child.stdin!.write('echo ready\n');
    this.buffer = '';
    return new Promise<void>((resolve, reject) => {
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
          } else this.arrive(Number.parseInt(line, 10), false);
        }
      });
      child.on('error', (err) => reject(err));
      // 'close', not 'exit': the statuses the shell printed before it died are read first.
      child.on('close', () => {
        if (!started) reject(new Error(`${this.shell} exited before it was ready`));
        if (this.child !== child) return;
        this.dropChild();
        // Killed on timeout or interrupt, or a step killed it: the series behind go to the next shell.
        this.shellGone(true);
      });
    });
  }

  /**
   * The shell is gone with the queue: the running series' step fails (137).
   * The series behind it never ran: they go to the next shell when their
   * callers attach (`resend`), or end the same way.
   */
  private shellGone(resend: boolean): void {
    const [running, ...waiting] = this.queue;
    this.queue = [];
    if (running) this.arrive(137, true, running);
    for (const series of waiting) {
      series.sent = false;
      if (!resend) this.arrive(137, true, series);
    }
  }

  private dropChild(): void {
    this.child?.stdin?.end();
    this.child = undefined;
    this.ready = undefined;
  }

  /** A status of the running series came (or its shell died). */
  private arrive(status: number, shellDied: boolean, series = this.queue[0]): void {
    if (!series) return;
    const at = performance.now();
    const exitCode = Number.isNaN(status) ? 1 : status;
    series.arrivals.push({ status: exitCode, at, shellDied });
    series.arrived++;
    if (exitCode !== 0 || shellDied || series.arrived === series.requests.length) {
      series.shellDone = true;
      if (this.queue[0] === series) this.queue.shift();
      const next = this.queue[0];
      if (next) {
        next.startedAt = at;
        // Interrupted while it waited: its first step has just begun; stop it there.
        if (next.interrupted) killGroup(this.child?.pid);
        else if (next.hooks) this.startTimer(next);
      }
    }
    if (series.hooks) this.drain(series);
  }

  /** Tells the attached caller of `series` what came, and ends the series when it is over. */
  private drain(series: Series): void {
    const hooks = series.hooks!;
    while (series.arrivals.length > 0) {
      const arrival = series.arrivals.shift()!;
      if (series.timer) clearTimeout(series.timer);
      series.timer = undefined;
      const files = this.files(series.index, series.bank);
      const read =
        series.requests[series.index]!.passedOutput !== false ||
        arrival.status !== 0 ||
        arrival.shellDied ||
        series.timedOut ||
        series.interrupted;
      const outcome: ShellStepOutcome = {
        exitCode: arrival.status,
        stdout: read ? readCapped(files.out) : '',
        stderr: read ? readCapped(files.err) : '',
        timedOut: series.timedOut,
        interrupted: series.interrupted,
        durationMs: arrival.at - series.startedAt,
      };
      hooks.finished(series.index, outcome);
      if (passed(outcome) && !arrival.shellDied && series.index + 1 < series.requests.length) {
        series.index++;
        series.startedAt = arrival.at;
        series.timeouts[series.index] = hooks.started(series.index);
        continue;
      }
      this.finish(series);
      return;
    }
    // The step running now: its timer (only the series at the head of the queue runs).
    if (this.queue[0] === series && !series.timer) this.startTimer(series);
  }

  /** Starts the timer of the running step of `series` (its timeout comes from the hooks). */
  private startTimer(series: Series): void {
    const timeoutMs = series.timeouts[series.index];
    if (timeoutMs === undefined || timeoutMs <= 0) return;
    series.timer = setTimeout(() => {
      series.timedOut = true;
      killGroup(this.child?.pid);
    }, timeoutMs);
  }

  /** The caller has everything of `series`: free its bank, stop listening, wake the caller. */
  private finish(series: Series): void {
    if (series.timer) clearTimeout(series.timer);
    series.timer = undefined;
    this.banksInUse.delete(series.bank);
    this.live.delete(series);
    series.resolve?.();
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

  /**
   * One step's subshell: its directory, environment (what `shared` leaves,
   * the lane's shell exports that), outputs, script.
   */
  private stepCommand(
    request: ShellStepRequest,
    index: number,
    bank: number,
    shared: ReadonlyMap<string, string>,
    batch: boolean,
  ): string {
    const files = this.files(index, bank);
    const script = this.setLine + request.script;
    if (script !== this.lastScripts.get(files.script)) {
      // The newline before `}` ends a last line that is a comment or a here-document terminator.
      writeFileSync(files.script, `yarn_step() { ${script}\n}\n`);
      this.lastScripts.set(files.script, script);
    }
    const exports = Object.entries(request.env)
      .filter(([k]) => !shared.has(k))
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const cd = request.cwd === this.srcdir ? '' : `cd ${quote(request.cwd)} || exit 1\nunset OLDPWD\n`;
    // No bare `export`: it would print the environment into the step's outputs.
    const exported = exports === '' ? '' : `export ${exports}\n`;
    return `(\n${batch ? 'unset yarn_statuses\n' : ''}${cd}${exported}${files.run}`;
  }

  /**
   * The commands that make the lane's shell export `shared` and nothing else
   * (it runs them between series, never inside a step).
   */
  private laneEnvCommand(shared: ReadonlyMap<string, string>): string {
    const gone = [...this.laneEnv.keys()].filter((k) => !shared.has(k));
    const changed = [...shared].filter(([k, v]) => this.laneEnv.get(k) !== v);
    this.laneEnv = new Map(shared);
    return (
      (gone.length > 0 ? `unset ${gone.join(' ')}\n` : '') +
      (changed.length > 0 ? `export ${changed.map(([k, v]) => `${k}=${quote(v)}`).join(' ')}\n` : '')
    );
  }

  /** Writes `series` to the shell (starting one when there is none). */
  private send(series: Series): void {
    // `STEP; case $? in 0) echo 0; NEXT…;; *) echo "$?";; esac`: no step in an `if` condition or
    // an `&&` list, where `set -e` would be ignored. Batched, the statuses wait in the lane shell's
    // $yarn_statuses until the series ends (each step's subshell unsets it: the steps never see it).
    const { requests, bank } = series;
    const shared = sharedEnv(requests);
    const batch = requests.length > 1 && requests.every((r) => r.eachStatus === false);
    const before = batch ? 'yarn_statuses=\n' : '';
    const passed = batch ? 'yarn_statuses="${yarn_statuses}0\n"' : 'echo 0';
    const status = batch ? 'echo "${yarn_statuses}$?"' : 'echo "$?"';
    let command = '';
    for (let i = requests.length - 1; i >= 0; i--) {
      const step = this.stepCommand(requests[i]!, i, bank, shared, batch);
      command =
        i === requests.length - 1
          ? `${step}\n${status}\n`
          : `${step}\ncase $? in 0) ${passed}\n${command};;\n*) ${status};;\nesac\n`;
    }
    command = before + command;
    this.ready ??= this.start();
    if (this.queue.length === 0) series.startedAt = performance.now();
    this.queue.push(series);
    series.sent = true;
    this.watch(series.signal);
    this.child!.stdin!.write(this.laneEnvCommand(shared) + command);
  }

  /**
   * Listens to `signal` (once per signal, not per series: the run's
   * interrupt is the same for all): its abort interrupts the live series
   * that have it.
   */
  private watch(signal: AbortSignal | undefined): void {
    if (!signal || this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        for (const series of this.live) {
          if (series.signal !== signal) continue;
          series.interrupted = true;
          // Only the running series' steps are in the shell's process group now: one behind it
          // has not started, and goes to a new shell if its caller still attaches.
          if (this.queue[0] === series) killGroup(this.child?.pid);
        }
      },
      { once: true },
    );
  }

  /** A new series, in a bank no unread series holds (not sent yet). */
  private newSeries(requests: readonly ShellStepRequest[]): Series {
    let bank = 0;
    while (this.banksInUse.has(bank)) bank++;
    this.banksInUse.add(bank);
    const series = new Series(requests, bank);
    this.live.add(series);
    return series;
  }

  /**
   * Sends `requests` to the shell now, to run after what it runs already
   * (see the module comment); undefined when there is nothing to send.
   */
  prepare(requests: readonly ShellStepRequest[]): PreparedSeries | undefined {
    if (requests.length === 0 || requests[0]!.signal?.aborted) return undefined;
    const series = this.newSeries(requests);
    this.send(series);
    return {
      requests,
      run: (hooks) => this.attach(series, hooks),
      discard: () => this.discard(series),
    };
  }

  /** Gives up a prepared series: kills the shell when it runs or is about to. */
  private async discard(series: Series): Promise<void> {
    if (series.sent && !series.shellDone) await this.close();
    this.finish(series);
  }

  async runSeries(requests: readonly ShellStepRequest[], hooks: SeriesHooks): Promise<void> {
    if (requests.length === 0) return;
    if (requests[0]!.signal?.aborted) {
      hooks.started(0);
      hooks.finished(0, { exitCode: 130, stdout: '', stderr: '', timedOut: false, interrupted: true });
      return;
    }
    const series = this.newSeries(requests);
    this.send(series);
    await this.attach(series, hooks);
  }

  /** Reports `series` to `hooks` (what already came at once) and resolves when it is over. */
  private async attach(series: Series, hooks: SeriesHooks): Promise<void> {
    // A prepared series the shell lost (it died before the series ran) goes to a new one.
    if (!series.sent && !series.shellDone) this.send(series);
    // A shell that cannot start fails the call (before the caller hears of any step).
    await this.ready;
    const done = new Promise<void>((resolve) => {
      series.resolve = resolve;
    });
    series.hooks = hooks;
    series.timeouts[0] = hooks.started(0);
    this.drain(series);
    await done;
  }

  async close(): Promise<void> {
    const child = this.child;
    this.dropChild();
    // What was still in the shell ends with it.
    this.shellGone(false);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Reaped before this process exits, so its CPU time counts as ours (/usr/bin/time, wait4).
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child.pid);
    await exited;
  }
}
