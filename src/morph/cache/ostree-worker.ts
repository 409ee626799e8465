import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { unrefChild } from '../../shared/unref-child.js';
import { MorphError } from '../errors.js';

/** The Python script that talks to libostree (see its docstring for the protocol). */
export const WORKER_SCRIPT = fileURLToPath(
  new URL('../../../../src/morph/cache/ostree_worker.py', import.meta.url),
);

/** One commit of a {@link OstreeWorker.commit} request. */
export interface WorkerCommit {
  dir: string;
  ref: string;
  subject: string;
  metadata?: Record<string, string>;
  consume?: boolean;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A failed request (`message` is libostree's error text) or a worker that
 * could not start or ended: one of morph's errors (`cache/worker-failed`),
 * which ArtifactCache wraps as `cache/commit-failed` naming the artifacts.
 */
export class OstreeWorkerError extends MorphError {
  constructor(message: string, cause?: unknown) {
    super('cache', 'worker-failed', message, { cause });
  }
}

/** One line of the worker's output: the reply to request `id`. */
export interface WorkerReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/**
 * Reads one line of the worker's output.
 * @throws OstreeWorkerError when the line is not a reply (a worker that lost
 * its protocol: garbled output, or something else writing to its stdout).
 */
export function parseWorkerReply(line: string): WorkerReply {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  const reply = value as Partial<WorkerReply> | undefined;
  if (
    typeof reply !== 'object' ||
    reply === null ||
    typeof reply.id !== 'number' ||
    typeof reply.ok !== 'boolean'
  ) {
    throw new OstreeWorkerError(
      `the ostree worker wrote something that is not a reply: ${JSON.stringify(line.slice(0, 200))}`,
    );
  }
  return reply as WorkerReply;
}

/**
 * A long-lived libostree process writing into one repository: many commits
 * in one transaction, without a process per commit. Requests are answered
 * in order; the process is started on first use and ends with its input
 * (or when this process exits).
 */
export class OstreeWorker {
  private child?: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';

  private constructor(
    private readonly python: string,
    private readonly repoPath: string,
    private readonly lockPath: string,
  ) {}

  /**
   * A worker for `repoPath` whose transactions hold an exclusive flock on
   * `lockPath`, or undefined when this host cannot run one
   * (no python3 with the OSTree GObject bindings, or `MORPH_OSTREE_WORKER=0`):
   * callers then fall back to one `ostree` process per write.
   */
  static forRepo(repoPath: string, lockPath: string): OstreeWorker | undefined {
    const python = availablePython();
    return python ? new OstreeWorker(python, repoPath, lockPath) : undefined;
  }

  /** Writes the commits in one transaction and sets their refs; returns their checksums. */
  commit(
    commits: readonly WorkerCommit[],
    options: { linkCheckoutSpeedup?: boolean } = {},
  ): Promise<string[]> {
    return this.request({
      op: 'commit',
      commits,
      linkCheckoutSpeedup: options.linkCheckoutSpeedup ?? false,
    }) as Promise<string[]>;
  }

  /** Writes an orphan commit of `revs` layered in order (later files win) and returns its checksum. */
  layer(revs: readonly string[]): Promise<string> {
    return this.request({ op: 'layer', refs: revs }) as Promise<string>;
  }

  /** Ends the worker (it finishes the request in hand first). */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private request(body: Record<string, unknown>): Promise<unknown> {
    const child = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) child.ref();
      child.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.python, [WORKER_SCRIPT, this.repoPath, this.lockPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.answer(line));
    child.on('error', (err) =>
      this.failAll(new OstreeWorkerError(`cannot run the ostree worker: ${err.message}`, err)),
    );
    child.on('close', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const why = this.stderr.trim().split('\n').pop() || `exit ${code ?? signal}`;
      this.failAll(new OstreeWorkerError(`ostree worker ended: ${why}`));
    });
    // Idle, the worker must not keep morph alive: referenced only while requests are pending.
    unrefChild(child);
    return child;
  }

  private answer(line: string): void {
    let reply: WorkerReply;
    try {
      reply = parseWorkerReply(line);
    } catch (err) {
      // The replies are out of step with the requests: nothing it says can be trusted now.
      this.child?.kill('SIGKILL');
      this.failAll(err as OstreeWorkerError);
      return;
    }
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.child?.unref();
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new OstreeWorkerError(reply.error ?? 'unknown error'));
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

let python: string | false | undefined;

/** The python3 that can import the OSTree bindings (checked once), else undefined. */
function availablePython(): string | undefined {
  if (process.env.MORPH_OSTREE_WORKER === '0') return undefined;
  if (python === undefined) {
    python = false;
    for (const candidate of ['/usr/bin/python3', 'python3']) {
      if (candidate.startsWith('/') && !existsSync(candidate)) continue;
      const probe = spawnSync(
        candidate,
        ['-c', "import gi; gi.require_version('OSTree', '1.0'); from gi.repository import OSTree"],
        { stdio: 'ignore' },
      );
      if (probe.status === 0) {
        python = candidate;
        break;
      }
    }
  }
  return python || undefined;
}
