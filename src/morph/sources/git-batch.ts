import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { unrefChild } from '../../shared/unref-child.js';
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
  /** The start of a header line not yet ended. */
  private header: Buffer = Buffer.alloc(0);
  /** The object whose contents are arriving. */
  private contents: { oid: string; type: string; data: Buffer; filled: number } | undefined;
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
    let rest = chunk;
    while (rest.length > 0) {
      const object = this.contents;
      if (object) {
        // Contents of a known size (and their newline) go straight into one buffer.
        const taken = Math.min(rest.length, object.data.length - object.filled);
        rest.copy(object.data, object.filled, 0, taken);
        object.filled += taken;
        rest = rest.subarray(taken);
        if (object.filled < object.data.length) return;
        this.contents = undefined;
        this.answer({ oid: object.oid, type: object.type, data: object.data.subarray(0, -1) });
        continue;
      }
      const newline = rest.indexOf(10);
      if (newline === -1) {
        this.header = Buffer.concat([this.header, rest]);
        return;
      }
      const header = Buffer.concat([this.header, rest.subarray(0, newline)]).toString();
      this.header = Buffer.alloc(0);
      rest = rest.subarray(newline + 1);
      const match = HEADER.exec(header);
      if (match) {
        const data = Buffer.allocUnsafe(Number(match[3]) + 1);
        this.contents = { oid: match[1] as string, type: match[2] as string, data, filled: 0 };
      } else {
        this.answer(undefined); // `<rev> missing` or `<rev> ambiguous`
      }
    }
  }

  private answer(object: GitObject | undefined): void {
    const request = this.queue.shift();
    if (this.queue.length === 0) this.idle();
    request?.resolve(object);
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
    unrefChild(this.child);
  }
}
