import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unrefChild } from './unref-child.js';

/** The Python script that starts commands (see its docstring for the protocol). */
function helperScript(): string {
  return fileURLToPath(new URL('../../../src/shared/spawn_helper.py', import.meta.url));
}

/** What a command run by the helper left behind. */
export interface HelperResult {
  /** The exit code, or 128 + the number of the signal that killed it. */
  readonly exitCode: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

export interface HelperRequest {
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly input?: string | Uint8Array;
  /** Its abort sends SIGTERM to the command and rejects at once (AbortError), as `spawn` does. */
  readonly signal?: AbortSignal;
}

interface Pending {
  resolve: (result: HelperResult) => void;
  reject: (error: Error) => void;
}

/** A header of the helper's answers (spawn_helper.py). */
interface Answer {
  ready?: boolean;
  id: number;
  code?: number | null;
  signal?: number | null;
  stdout?: number;
  stderr?: number;
  error?: string;
  errno?: string | null;
}

const HEADER_BYTES = 4;

/**
 * One long-lived helper process that starts commands for this one
 * (src/shared/spawn_helper.py): Node's `spawn` forks the whole process and
 * holds its thread until the child has exec'd (6 ms idle, 15-30 ms in a busy
 * morph build, several hundred commands a build), where the helper's
 * `vfork` costs this process the writing of a request. It runs commands
 * whose outputs are wanted when they end (`runCommand` without streaming
 * callbacks); the helper is started on first use, is unreferenced while
 * idle, and ends with its input, terminating what it still runs, when this
 * process ends (even by SIGKILL).
 */
export class SpawnHelper {
  private child?: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private received: Buffer[] = [];
  private receivedBytes = 0;
  /** The bytes of the answer being received that must be there before it is read further. */
  private needed = HEADER_BYTES;
  private stderr = '';
  /** The helper has started and said so: a command sent now starts at once. */
  private started = false;

  constructor(private readonly python: string) {}

  /**
   * True once the helper runs (`warmUp`): until then `runCommand` uses
   * `spawn`, so that no command waits for Python to start (~50 ms).
   */
  get ready(): boolean {
    return this.started;
  }

  /** Starts the helper in the background, if it is not running. */
  warmUp(): void {
    this.start();
  }

  run(request: HelperRequest): Promise<HelperResult> {
    const { signal } = request;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const child = this.start();
    const id = this.nextId++;
    const input =
      request.input === undefined
        ? Buffer.alloc(0)
        : typeof request.input === 'string'
          ? Buffer.from(request.input)
          : Buffer.from(request.input.buffer, request.input.byteOffset, request.input.byteLength);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.env))
      if (value !== undefined) env[name] = String(value);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.release();
        this.send({ kill: id, signal: constants.signals.SIGTERM });
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      if (this.pending.size === 1) child.ref();
      this.send({ id, argv: request.argv, cwd: request.cwd ?? null, env, input: input.length }, input);
    });
  }

  /**
   * Ends the helper (what it still runs gets SIGTERM) and resolves once it
   * has exited: reaped by this process, its CPU time and its commands'
   * count as this process's (`time`, wait4).
   */
  close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.ref();
    child.stdin.end();
    return exited;
  }

  private send(header: object, payload?: Buffer): void {
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(HEADER_BYTES);
    length.writeUInt32BE(json.length);
    this.child?.stdin.write(
      payload && payload.length > 0 ? Buffer.concat([length, json, payload]) : Buffer.concat([length, json]),
    );
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    // -I: no PYTHON* variables or user site; -S: no site (faster start); -X utf8: arguments as UTF-8.
    const child = spawn(this.python, ['-I', '-S', '-X', 'utf8', helperScript()], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env.PATH === undefined ? {} : { PATH: process.env.PATH },
    });
    this.child = child;
    this.received = [];
    this.receivedBytes = 0;
    this.needed = HEADER_BYTES;
    this.stderr = '';
    this.started = false;
    child.stdin.on('error', () => {});
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    child.on('error', (err) => this.failAll(new Error(`cannot run the spawn helper: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (this.child === child) {
        this.child = undefined;
        this.started = false;
      }
      const why = this.stderr.trim().split('\n').pop() || `exit ${code ?? signal}`;
      this.failAll(new Error(`the spawn helper ended: ${why}`));
    });
    // Idle, the helper must not keep this process alive: referenced only while commands run.
    unrefChild(child);
    return child;
  }

  private receive(chunk: Buffer): void {
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
    // Joined only once `needed` bytes are there: a large output arrives in many chunks.
    while (this.receivedBytes >= this.needed) {
      const data = this.received.length === 1 ? this.received[0]! : Buffer.concat(this.received);
      this.received = [data];
      const headerEnd = HEADER_BYTES + data.readUInt32BE(0);
      if (data.length < headerEnd) {
        this.needed = headerEnd;
        continue;
      }
      const answer = JSON.parse(data.subarray(HEADER_BYTES, headerEnd).toString()) as Answer;
      const outputEnd = headerEnd + (answer.stdout ?? 0);
      const end = outputEnd + (answer.stderr ?? 0);
      if (data.length < end) {
        this.needed = end;
        continue;
      }
      const rest = data.subarray(end);
      this.received = rest.length > 0 ? [rest] : [];
      this.receivedBytes = rest.length;
      this.needed = HEADER_BYTES;
      this.settle(answer, data.subarray(headerEnd, outputEnd), data.subarray(outputEnd, end));
    }
  }

  private settle(answer: Answer, stdout: Buffer, stderr: Buffer): void {
    if (answer.ready) {
      this.started = true;
      return;
    }
    const pending = this.pending.get(answer.id);
    if (!pending) return; // aborted: answered already
    this.pending.delete(answer.id);
    this.release();
    if (answer.error !== undefined) {
      pending.reject(Object.assign(new Error(answer.error), answer.errno ? { code: answer.errno } : {}));
      return;
    }
    const exitCode = answer.code ?? 128 + (answer.signal ?? 0);
    pending.resolve({ exitCode, stdout, stderr });
  }

  /** Unreferences the helper when no command is pending. */
  private release(): void {
    if (this.pending.size === 0) this.child?.unref();
  }

  private failAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}

let helper: SpawnHelper | false | undefined;

/**
 * Makes `runCommand` start its commands through a spawn helper from now on,
 * when there is a `python3` (/usr/bin's, else PATH's; `MORPH_SPAWN_HELPER=0`
 * turns it off).
 * Programs that start many commands (morph) call this once.
 */
export function useSpawnHelper(): void {
  if (helper !== undefined) return;
  helper = false;
  if (process.env.MORPH_SPAWN_HELPER === '0' || !existsSync(helperScript())) return;
  // The system's first: a python3 found earlier on PATH may be a version manager's shim (pyenv's
  // takes 0.3 s to start where /usr/bin/python3 takes 0.02 s).
  const onPath = (process.env.PATH ?? '').split(':').filter((dir) => dir.startsWith('/'));
  for (const python of ['/usr/bin/python3', ...onPath.map((dir) => join(dir, 'python3'))]) {
    if (existsSync(python)) {
      helper = new SpawnHelper(python);
      return;
    }
  }
}

/** The spawn helper, when `useSpawnHelper` set one up. */
export function spawnHelper(): SpawnHelper | undefined {
  return helper || undefined;
}

/** Ends the spawn helper, if one runs, and waits for it (see `SpawnHelper.close`). */
export function closeSpawnHelper(): Promise<void> {
  return helper ? helper.close() : Promise.resolve();
}
