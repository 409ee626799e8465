/** The reference's way of running a step: a new `SHELL ARGS SCRIPT` process per step. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capText } from './capped-output.js';
import {
  killGroup,
  runOneByOne,
  type SeriesHooks,
  type ShellRunner,
  type ShellStepOutcome,
  type ShellStepRequest,
} from './shell-runner.js';

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
