import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, writeSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withBuildUmask } from '../graph/hermetic.js';

/** How a chunk is isolated (the stratum spec's `build-mode`). */
export type BuildMode = 'staging' | 'bootstrap' | 'test';

/** Where a sandboxed command runs. */
export type SandboxSpec =
  | {
      /**
       * Chrooted in a view of `root`: its top-level entries bound read-only
       * onto an empty root, plus `binds` (writable host directories at paths
       * inside), `/dev`, `/proc` and `/tmp`; the rest is read-only. Nothing is
       * created in `root`, so one dependency tree serves many sandboxes at once.
       */
      kind: 'chroot';
      root: string;
      binds: readonly { host: string; inside: string }[];
      /** Host directory to bind at `/tmp` (else a tmpfs). */
      tmpDir?: string;
      /** Host directory bound at `/tmp/ccache`. */
      ccacheDir?: string;
      /** Path inside the sandbox. */
      cwd: string;
    }
  | {
      /** The whole of `root` writable (system integration). */
      kind: 'writable-chroot';
      root: string;
      cwd: string;
    }
  | {
      /** On the host root, read-only except `writable` and `/tmp` (bootstrap and test modes). */
      kind: 'host';
      writable: readonly string[];
      /**
       * Host directories shown at fixed paths inside (`/<chunk>.build`), so
       * that the build sees the same paths on every machine. With binds, the
       * host's top-level entries are bound one by one onto an empty root, in
       * which the bind paths are made.
       */
      binds?: readonly { host: string; inside: string; readOnly?: boolean }[];
      ccacheDir?: string;
      cwd: string;
    };

/** The `bwrap` arguments (without the command) for a sandbox. */
export function bwrapArgs(spec: SandboxSpec): string[] {
  // A PID namespace: when the sandbox dies (interrupt, parent gone) every process in it dies too.
  const args = ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts'];
  switch (spec.kind) {
    case 'chroot':
      for (const entry of readdirSync(spec.root, { withFileTypes: true })) {
        if (MOUNTED_AFRESH.has(entry.name)) continue;
        const path = join(spec.root, entry.name);
        if (entry.isSymbolicLink()) args.push('--symlink', readlinkSync(path), `/${entry.name}`);
        else args.push('--ro-bind', path, `/${entry.name}`);
      }
      for (const bind of spec.binds) args.push('--bind', bind.host, bind.inside);
      args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/dev/shm');
      if (spec.tmpDir) args.push('--bind', spec.tmpDir, '/tmp');
      else args.push('--tmpfs', '/tmp');
      if (spec.ccacheDir) args.push('--bind', spec.ccacheDir, '/tmp/ccache');
      // bwrap's own root (a tmpfs holding the mount points) is read-only too.
      args.push('--remount-ro', '/');
      break;
    case 'writable-chroot':
      args.push('--bind', spec.root, '/', '--proc', '/proc', '--dev', '/dev');
      args.push('--tmpfs', '/dev/shm', '--tmpfs', '/tmp');
      break;
    case 'host': {
      const binds = spec.binds ?? [];
      if (binds.length === 0) args.push('--ro-bind', '/', '/');
      else {
        const taken = new Set(binds.map((bind) => bind.inside.split('/')[1]));
        for (const entry of readdirSync('/', { withFileTypes: true })) {
          if (MOUNTED_AFRESH.has(entry.name) || taken.has(entry.name)) continue;
          const path = `/${entry.name}`;
          if (entry.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
          else args.push('--ro-bind', path, path);
        }
      }
      args.push('--dev-bind', '/dev', '/dev', '--proc', '/proc');
      args.push('--bind', '/tmp', '/tmp');
      for (const dir of spec.writable) args.push('--bind', dir, dir);
      for (const bind of binds) args.push(bind.readOnly ? '--ro-bind' : '--bind', bind.host, bind.inside);
      // bwrap's own root (a tmpfs holding the mount points) is read-only, as in a chroot.
      if (binds.length > 0) args.push('--remount-ro', '/');
      if (spec.ccacheDir) args.push('--bind', spec.ccacheDir, '/tmp/ccache');
      break;
    }
  }
  args.push('--chdir', spec.cwd);
  return args;
}

/** Top-level names a chroot sandbox never takes from its root: bwrap mounts them itself. */
const MOUNTED_AFRESH = new Set(['proc', 'dev', 'tmp']);

/** The directories that must exist under a writable root before bwrap can mount on them. */
export function mountPoints(spec: SandboxSpec): string[] {
  if (spec.kind !== 'writable-chroot') return [];
  return ['proc', 'dev', 'tmp'].map((dir) => join(spec.root, dir));
}

/** What a sandboxed command did. */
export interface SandboxResult {
  exitCode: number;
}

/**
 * Runs `sh -c COMMAND` in the sandbox with exactly `env` and the build
 * umask (hermetic.ts), its stdout and
 * stderr both going to the file descriptor `outputFd` (interleaved as
 * written). COMMAND may be a byte string: Node encodes argv as UTF-8, so the
 * bytes of a command that is not valid UTF-8 are written NUL-terminated to a
 * file under `scratchDir` and `xargs -0` appends them, untouched, to the
 * bwrap command line (docs/spec/morph.md 12.5).
 */
export async function runInSandbox(
  spec: SandboxSpec,
  command: string | Uint8Array,
  env: Record<string, string>,
  options: {
    outputFd: number | 'inherit' | 'ignore';
    scratchDir: string;
    /** Also receives the output (`build-log-on-stdout`); `outputFd` must then be a descriptor. */
    onOutput?: (chunk: Buffer) => void;
    /** Kills the command when aborted. */
    signal?: AbortSignal;
  },
): Promise<SandboxResult> {
  const bytes = typeof command === 'string' ? Buffer.from(command) : Buffer.from(command);
  // Commands that are valid UTF-8 (nearly all) go straight to bwrap; others
  // through a file and `xargs -0`, which passes their bytes untouched.
  const text = bytes.toString('utf8');
  const argFile =
    Buffer.from(text).equals(bytes) && !text.includes('\0')
      ? undefined
      : join(options.scratchDir, `.morph-command-${randomBytes(6).toString('hex')}`);
  if (argFile) await writeFile(argFile, Buffer.concat([bytes, Buffer.from([0])]));
  try {
    // bwrap reports the command's own exit code on fd 3 (xargs folds it into 123-127).
    const bwrap = ['--json-status-fd', '3', ...bwrapArgs(spec), 'sh', '-c'];
    const [program, argv] = argFile
      ? withBuildUmask('/usr/bin/xargs', ['-0', '-a', argFile, 'bwrap', ...bwrap])
      : withBuildUmask('bwrap', [...bwrap, text]);
    const exitCode = await new Promise<number>((resolve, reject) => {
      const out = options.outputFd;
      const tee = options.onOutput && typeof out === 'number' ? options.onOutput : undefined;
      const child = spawn(program, argv, {
        env,
        stdio: ['ignore', tee ? 'pipe' : out, tee ? 'pipe' : out, 'pipe'],
        signal: options.signal,
      });
      let status = '';
      child.stdio[3]?.on('data', (chunk: Buffer) => {
        status += chunk.toString();
      });
      if (tee && typeof out === 'number') {
        const forward = (chunk: Buffer): void => {
          writeSync(out, chunk);
          tee(chunk);
        };
        child.stdout?.on('data', forward);
        child.stderr?.on('data', forward);
      }
      // An abort shows as a killed command (exit 128+), not as a crash.
      child.on('error', (err) => (err.name === 'AbortError' ? undefined : reject(err)));
      child.on('close', (code, signal) => {
        const reported = /"exit-code"\s*:\s*(\d+)/.exec(status)?.[1];
        if (code === 0) resolve(0);
        else if (reported !== undefined && reported !== '0') resolve(Number(reported));
        else resolve(code ?? (signal ? 128 : 1));
      });
    });
    return { exitCode };
  } finally {
    if (argFile) await rm(argFile, { force: true });
  }
}

/**
 * Runs `argv` (no shell) in the sandbox with exactly `env` and the build umask, and returns its
 * exit code and combined output (system-integration scripts, docs/spec/morph.md 5.14).
 */
export function runArgvInSandbox(
  spec: SandboxSpec,
  argv: readonly string[],
  env: Record<string, string>,
): Promise<SandboxResult & { output: string }> {
  return new Promise((resolve, reject) => {
    const [program, args] = withBuildUmask('bwrap', [...bwrapArgs(spec), '--', ...argv]);
    const child = spawn(program, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ exitCode: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString() }),
    );
  });
}
