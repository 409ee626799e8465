import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { InputFiles } from './input-files.js';
import { loadDoubleProtoRoot } from './proto-root.js';

/**
 * The TEST DOUBLE's worker (a worker thread of reapi-test-double.ts): it
 * unpacks an action's input root into a temporary directory, runs its
 * command there and reads the output directories back as `Tree` messages,
 * while the double's own thread goes on answering calls, as an engine's
 * CAS and scheduler do while its workers run actions. It holds a copy of
 * every input file it was sent (the double sends each blob once) and
 * places them as hard links to its store (input-files.ts).
 */

/** An action to run, as the double's thread checked and laid it out. */
export interface ActionJob {
  readonly id: number;
  /** The hash of the input root's `Directory`. */
  readonly root: string;
  /** The `Directory` messages (checked, decoded) this worker was not sent before. */
  readonly directories: readonly [string, DirectoryMessage][];
  /** Input file contents this worker was not sent before. */
  readonly blobs: readonly [string, Uint8Array][];
  readonly program: string;
  readonly args: readonly string[];
  /** Relative to the input root. */
  readonly workingDirectory: string;
  readonly env: Readonly<Record<string, string>>;
  /** Output directories and paths, relative to the working directory. */
  readonly outputs: readonly string[];
  /** Output files carry their permission bits (`output_node_properties: unix_mode`). */
  readonly modes: boolean;
  /** 0: no timeout. */
  readonly timeoutMs: number;
}

/** What running a job gave, or why it could not run. */
export type ActionOutcome =
  | {
      readonly id: number;
      readonly ok: true;
      readonly exitCode: number;
      readonly stdout: Uint8Array;
      readonly stderr: Uint8Array;
      readonly timedOut: boolean;
      /** Output directories that exist, with the digest of their `Tree`. */
      readonly outputDirectories: readonly { path: string; hash: string; size: number }[];
      /** Every blob of the outputs: files, `Directory` and `Tree` messages. */
      readonly blobs: readonly [string, Uint8Array][];
    }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** A decoded `Digest` (protobufjs, keepCase). */
interface DigestMessage {
  hash?: string;
  size_bytes?: string | number;
}

/** A decoded `Directory` (protobufjs, keepCase). */
export interface DirectoryMessage {
  files?: {
    name?: string;
    digest?: DigestMessage;
    is_executable?: boolean;
    node_properties?: { unix_mode?: { value?: number } };
  }[];
  directories?: { name?: string; digest?: DigestMessage }[];
  symlinks?: { name?: string; target?: string }[];
  node_properties?: { unix_mode?: { value?: number } };
}

/**
 * `perl -e SETPGRP_AND_EXEC NICE PROGRAM ARGS...` (Debian's perl-base is always there): a process
 * group of its own, the nice value NICE, then the program (found by PATH).
 */
const SETPGRP_AND_EXEC =
  'setpgrp(0, 0); setpriority(0, 0, shift @ARGV); exec { $ARGV[0] } @ARGV or die "cannot run $ARGV[0]: $!\\n"';

const root = loadDoubleProtoRoot();
const directoryType = root.lookupType('build.bazel.remote.execution.v2.Directory');
const treeType = root.lookupType('build.bazel.remote.execution.v2.Tree');
/** What the double's thread gives this worker: see `ReapiTestDouble`'s options. */
export interface WorkerOptions {
  readonly workDir: string;
  readonly actionNice: number;
}

const { workDir, actionNice } = workerData as WorkerOptions;
// This thread is the engine's workers: what it does for an action (unpacking the input root,
// reading the outputs back, with synchronous calls on this thread, not the process's thread pool)
// runs at the actions' nice value too. Linux keeps a nice value per thread (`/proc/thread-self`).
if (actionNice !== 0) setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), actionNice);
const inputFiles = new InputFiles(join(workDir, 'input-files'));
const contents = new Map<string, Buffer>();
const directories = new Map<string, DirectoryMessage>();

parentPort?.on('message', (job: ActionJob) => {
  run(job).then(
    (outcome) => parentPort?.postMessage(outcome),
    (err: Error) => parentPort?.postMessage({ id: job.id, ok: false, error: err.stack ?? err.message }),
  );
});

async function run(job: ActionJob): Promise<ActionOutcome> {
  for (const [hash, data] of job.blobs)
    contents.set(hash, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  for (const [hash, directory] of job.directories) directories.set(hash, directory);
  const dir = mkdtempSync(join(workDir, 'action-'));
  try {
    unpack(job.root, dir);
    const cwd = join(dir, job.workingDirectory);
    const ran = await runProcess(job.program, [...job.args], cwd, { ...job.env }, job.timeoutMs);
    const blobs = new Map<string, Buffer>();
    const outputDirectories = [];
    for (const path of job.outputs) {
      const stats = lstatSync(join(cwd, path), { throwIfNoEntry: false });
      if (!stats?.isDirectory()) continue;
      const tree = readTree(join(cwd, path), job.modes, blobs);
      outputDirectories.push({
        path,
        ...store(blobs, Buffer.from(treeType.encode(treeType.fromObject(tree)).finish())),
      });
    }
    return { id: job.id, ok: true, ...ran, outputDirectories, blobs: [...blobs] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes the `Directory` `hash` into `dir` (files are hard links to the store, input-files.ts). */
function unpack(hash: string, dir: string): void {
  const directory = directories.get(hash);
  if (!directory) throw new Error(`the worker was never sent the Directory ${hash}`);
  for (const file of directory.files ?? []) {
    const fileHash = file.digest?.hash ?? '';
    const data = contents.get(fileHash);
    if (!data) throw new Error(`the worker was never sent ${fileHash} (${file.name})`);
    const mode = file.node_properties?.unix_mode?.value ?? (file.is_executable ? 0o755 : 0o644);
    inputFiles.place(join(dir, file.name ?? ''), fileHash, data, mode);
  }
  for (const link of directory.symlinks ?? []) symlinkSync(link.target ?? '', join(dir, link.name ?? ''));
  for (const sub of directory.directories ?? []) {
    const path = join(dir, sub.name ?? '');
    mkdirSync(path);
    unpack(sub.digest?.hash ?? '', path);
  }
  // Last: a directory without write permission is filled before it is closed.
  chmodSync(dir, directory.node_properties?.unix_mode?.value ?? 0o755);
}

function store(blobs: Map<string, Buffer>, data: Buffer): { hash: string; size: number } {
  const hash = createHash('sha256').update(data).digest('hex');
  blobs.set(hash, data);
  return { hash, size: data.length };
}

function digest(blobs: Map<string, Buffer>, data: Buffer): { hash: string; size_bytes: string } {
  const { hash, size } = store(blobs, data);
  return { hash, size_bytes: String(size) };
}

/** The `Tree` of an output directory: its root `Directory` and every one below, canonical. */
function readTree(
  dir: string,
  modes: boolean,
  blobs: Map<string, Buffer>,
): { root: DirectoryMessage; children: DirectoryMessage[] } {
  const children: DirectoryMessage[] = [];
  const walk = (path: string): DirectoryMessage => {
    const files: NonNullable<DirectoryMessage['files']> = [];
    const subdirectories: NonNullable<DirectoryMessage['directories']> = [];
    const symlinks: NonNullable<DirectoryMessage['symlinks']> = [];
    const names = readdirSync(path).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const child = join(path, name);
      const stats = lstatSync(child);
      if (stats.isDirectory()) {
        const sub = walk(child);
        children.push(sub);
        const bytes = Buffer.from(directoryType.encode(directoryType.fromObject(sub)).finish());
        subdirectories.push({ name, digest: digest(blobs, bytes) });
      } else if (stats.isSymbolicLink()) symlinks.push({ name, target: readlinkSync(child) });
      else if (stats.isFile()) {
        const executable = (stats.mode & 0o100) !== 0;
        files.push({
          name,
          digest: digest(blobs, readFileSync(child)),
          ...(executable ? { is_executable: true } : {}),
          ...(modes ? { node_properties: { unix_mode: { value: stats.mode & 0o7777 } } } : {}),
        });
      }
    }
    const mode = lstatSync(path).mode & 0o7777;
    return {
      ...(files.length ? { files } : {}),
      ...(subdirectories.length ? { directories: subdirectories } : {}),
      ...(symlinks.length ? { symlinks } : {}),
      ...(modes ? { node_properties: { unix_mode: { value: mode } } } : {}),
    };
  };
  const treeRoot = walk(dir);
  return { root: treeRoot, children };
}

/**
 * Runs the command in a process group of its own; after `timeoutMs` (0:
 * never) the whole group is killed, as an engine enforces `Action.timeout`.
 */
function runProcess(
  program: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    // A process group of its own, not a session (`detached`): a session is a scheduler autogroup of
    // its own, which takes as much CPU as morph and everything else together, whatever its nice value.
    const child = spawn('/usr/bin/perl', ['-e', SETPGRP_AND_EXEC, String(actionNice), program, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-(child.pid as number), 'SIGKILL');
            } catch {}
          }, timeoutMs)
        : undefined;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        timedOut,
      });
    });
  });
}
