import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { GitServerError } from './git-server-error.js';

/** How to start the CLI (`dist/test-git-server/cli.js`) as a separate process. */
export interface SpawnGitServerOptions {
  /** Path of the compiled `cli.js`. */
  cli: string;
  /** Directory of repositories to serve. */
  root: string;
  /** Push log (`<old> <new> <ref> <repo>` lines). */
  logFile?: string;
  /** File that receives the server's diagnostics (default: discarded). */
  stderrFile?: string;
  /** Environment of the server (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the port (default 10 s). */
  startTimeoutMs?: number;
}

/** A server running as a separate process group. */
export interface SpawnedGitServer {
  readonly port: number;
  readonly url: string;
  /** The server's pid (= its process group id). */
  readonly pid: number;
  /** SIGTERM to the group, SIGKILL after 3 s and to anything left; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Runs test-git-server in a process group of its own, so that nothing the
 * caller does (a blocked event loop, a synchronous child process) can stall
 * it, and one signal to the group ends it with every git process it started.
 * Its stdin is a pipe from this process: if this process dies, the server
 * sees EOF and exits. Handles are unref'd, so a forgotten server never keeps
 * this process alive.
 *
 * @throws GitServerError (code GIT_SERVER_FAILED) if the server does not
 *   report its port (its diagnostics are in the message).
 */
export async function spawnGitServer(options: SpawnGitServerOptions): Promise<SpawnedGitServer> {
  const args = [options.cli, '--root', options.root, '--exit-on-stdin-eof'];
  if (options.logFile) args.push('--log', options.logFile);
  if (options.stderrFile) args.push('--verbose');
  const stderrFd = options.stderrFile ? openSync(options.stderrFile, 'a') : 'ignore';
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', stderrFd],
      detached: true,
      env: options.env ?? process.env,
    });
  } finally {
    if (typeof stderrFd === 'number') closeSync(stderrFd);
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= stopProcessGroup(child);
    return stopping;
  };
  let port: number;
  try {
    port = await readPort(child, options.stderrFile, options.startTimeoutMs ?? 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  child.unref();
  for (const stream of [child.stdin, child.stdout])
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  return { port, url: `git://127.0.0.1:${port}`, pid: child.pid as number, stop };
}

function readPort(child: ChildProcess, stderrFile: string | undefined, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      let detail = '';
      try {
        detail = stderrFile ? readFileSync(stderrFile, 'utf8').trim() : '';
      } catch {
        // No diagnostics.
      }
      reject(new GitServerError(`test-git-server ${why}${detail ? `:\n${detail}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not report its port within ${timeoutMs} ms`), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = /^(\d+)\n/.exec(text);
      if (line && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve(Number(line[1]));
      }
    });
    child.once('error', (err) => fail(`could not start (${err.message})`));
    child.once('exit', (code, signal) => fail(`exited early (${signal ?? `exit code ${code}`})`));
  });
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
  signalGroup(pid, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone.
  }
}
