import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { MorphError } from '../errors.js';

/** An object read from a repository. */
export interface GitObject {
  /** Its object name (for `<rev>^{commit}`, the peeled commit's). */
  readonly oid: string;
  /** `commit`, `tree`, `blob` or `tag`. */
  readonly type: string;
  readonly data: Buffer;
}

interface Request {
  resolve(object: GitObject | undefined): void;
  reject(err: unknown): void;
}

const HEADER = /^([0-9a-f]{40}(?:[0-9a-f]{24})?) ([a-z]+) (\d+)$/;

/**
 * One long-running `git cat-file --batch` on one repository: reads any
 * number of objects (`<rev>`, `<rev>^{commit}`, `<rev>:<path>`) without a
 * process each. git reads refs and packs afresh for every request, so
 * refs moved or objects added meanwhile are seen. While no request is
 * pending the process does not keep node alive; it ends when its stdin
 * closes (`close()`, or node exiting).
 */
export class GitBatch {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Request[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private closing = false;
  /** Why git could not be run, if it could not. */
  private failure: unknown;

  constructor(readonly repoPath: string) {
    this.child = spawn('git', ['cat-file', '--batch'], { cwd: repoPath, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.resume();
    this.child.stdin.on('error', () => {}); // reported through 'close' or 'error' of the child
    this.child.on('error', (err) => this.end(err));
    // Like a querying git command exiting non-zero (not a repository): no object.
    this.child.on('close', () => this.end(undefined));
    this.idle();
  }

  /**
   * The object `rev` names, or undefined when there is none (missing,
   * ambiguous, a name git cannot take on one line, or git ended: not a
   * repository).
   * @throws MorphError sources/git-failed when git cannot be run
   */
  read(rev: string): Promise<GitObject | undefined> {
    if (this.failure !== undefined) return Promise.reject(this.error(rev, this.failure));
    if (rev === '' || /[\n\r]/.test(rev) || !this.usable) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) this.busy();
      this.queue.push({ resolve, reject: (err) => reject(this.error(rev, err)) });
      this.child.stdin.write(`${rev}\n`);
    });
  }

  /** False once the process has ended or could not start. */
  get usable(): boolean {
    return !this.ended && !this.closing;
  }

  /** Ends the process once the requests already made are answered. */
  close(): void {
    this.closing = true;
    this.child.stdin.end();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const newline = this.buffer.indexOf(10);
      if (newline === -1) return;
      const header = this.buffer.subarray(0, newline).toString();
      const match = HEADER.exec(header);
      let object: GitObject | undefined;
      if (match) {
        const size = Number(match[3]);
        const end = newline + 1 + size;
        if (this.buffer.length < end + 1) return; // the contents and their newline are not all here yet
        object = {
          oid: match[1] as string,
          type: match[2] as string,
          data: this.buffer.subarray(newline + 1, end),
        };
        this.buffer = this.buffer.subarray(end + 1);
      } else {
        this.buffer = this.buffer.subarray(newline + 1); // `<rev> missing` or `<rev> ambiguous`
      }
      const request = this.queue.shift();
      if (this.queue.length === 0) this.idle();
      request?.resolve(object && { ...object, data: Buffer.from(object.data) });
    }
  }

  /** The process ended (`failure` undefined) or could not start: settles every pending request. */
  private end(failure: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    for (const request of this.queue.splice(0)) {
      if (failure === undefined) request.resolve(undefined);
      else request.reject(failure);
    }
    this.idle();
  }

  private error(rev: string, cause: unknown): MorphError {
    return new MorphError(
      'sources',
      'git-failed',
      `cannot read ${rev} in ${this.repoPath} with git cat-file`,
      {
        cause,
        hint: (cause as Error).message,
      },
    );
  }

  /** Keeps node alive until the pending requests are answered. */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as Socket).ref();
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as Socket).unref();
    (this.child.stdin as unknown as Socket).unref();
    (this.child.stderr as Socket).unref();
  }
}
