import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitServerError } from './git-server-error.js';

/** Where and how to serve. */
export interface GitServerOptions {
  /** Directory whose git repositories (bare or not) are served: `git://HOST:PORT/<name>` is `<root>/<name>`. */
  root: string;
  /**
   * File that receives one line per ref update a push makes:
   * `<old-sha> <new-sha> <ref> <repo>` (repo relative to `root`). Created empty at start.
   */
  logFile?: string;
  /** Address to listen on (default 127.0.0.1; never a non-loopback one in tests). */
  host?: string;
  /** Called with git daemon's diagnostics (default: dropped). */
  onDiagnostic?: (text: string) => void;
  /**
   * Start each connection's git processes in a process group of their own
   * (default true). A server that is itself a process-group leader (the CLI)
   * passes false, so that signalling its group reaches everything it started.
   */
  separateProcessGroups?: boolean;
}

/** A running server. */
export interface GitServer {
  /** The ephemeral TCP port. */
  readonly port: number;
  /** `git://127.0.0.1:<port>` (append `/<repo>`). */
  readonly url: string;
  /** Stops accepting, ends every connection and its git processes; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Serves the repositories under `options.root` over git's own protocol
 * (fetch and push) on an ephemeral loopback port.
 *
 * A Node TCP server owns the port (so the port is known at once and there is
 * no bind race); each connection is handed to its own `git daemon --inetd`
 * process, started in a process group of its own so that `stop()` can end it
 * together with the upload-pack/receive-pack it spawned. Pushes run a
 * `post-receive` hook (through `core.hooksPath`, so the served repos are not
 * modified) that appends the updated refs to `logFile`.
 *
 * @throws GitServerError (code GIT_SERVER_FAILED) if the root is missing or
 *   the port cannot be opened.
 */
export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const root = await realpath(options.root).catch((cause: unknown) => {
    throw new GitServerError(`cannot serve ${options.root}: no such directory`, cause);
  });
  const host = options.host ?? '127.0.0.1';
  const hooksDir = await mkdtemp(join(tmpdir(), 'test-git-server-hooks-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'core.hooksPath',
    GIT_CONFIG_VALUE_0: hooksDir,
    TEST_GIT_SERVER_ROOT: root,
    TEST_GIT_SERVER_LOG: options.logFile ?? '/dev/null',
  };
  if (options.logFile) await writeFile(options.logFile, '');
  await writeFile(join(hooksDir, 'post-receive'), POST_RECEIVE_HOOK);
  await chmod(join(hooksDir, 'post-receive'), 0o755);

  const children = new Set<ChildProcess>();
  const sockets = new Set<Socket>();
  // No Nagle delay on the server side: git writes a pack in small pieces, and on
  // loopback each one would wait for the client's delayed ACK (40 ms a connection).
  const server = createServer({ noDelay: true }, (socket) =>
    serveConnection(socket, root, env, children, sockets, options),
  );
  try {
    await listen(server, host);
  } catch (cause) {
    await rm(hooksDir, { recursive: true, force: true });
    throw new GitServerError(`cannot listen on ${host}: ${(cause as Error).message}`, cause);
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('BUG: TCP server without a port');
  const port = address.port;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      const ownGroups = options.separateProcessGroups ?? true;
      await Promise.all([...children].map((child) => killGroup(child, ownGroups)));
      await closed;
      await rm(hooksDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { port, url: `git://${host}:${port}`, stop };
}

const POST_RECEIVE_HOOK = `#!/bin/sh
# Installed by test-git-server: records every ref update of a push.
dir=$(cd "\${GIT_DIR:-.}" && pwd -P)
repo=\${dir#"$TEST_GIT_SERVER_ROOT"/}
repo=\${repo%/.git}
while read -r old new ref; do
  printf '%s %s %s %s\\n' "$old" "$new" "$ref" "$repo" >> "$TEST_GIT_SERVER_LOG"
done
`;

function listen(server: Server, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function serveConnection(
  socket: Socket,
  root: string,
  env: NodeJS.ProcessEnv,
  children: Set<ChildProcess>,
  sockets: Set<Socket>,
  options: GitServerOptions,
): void {
  sockets.add(socket);
  const child = spawn(
    'git',
    [
      'daemon',
      '--inetd',
      '--export-all',
      '--enable=receive-pack',
      '--informative-errors',
      `--base-path=${root}`,
      `--log-destination=${options.onDiagnostic ? 'stderr' : 'none'}`,
    ],
    // The connection itself is git daemon's stdin and stdout: no copying
    // through this process, and one less hop for every packet.
    { env, stdio: [socket, socket, 'pipe'], detached: options.separateProcessGroups ?? true },
  );
  children.add(child);
  child.stderr?.on('data', (chunk: Buffer) => options.onDiagnostic?.(chunk.toString()));
  child.on('error', (err) => {
    options.onDiagnostic?.(`cannot start git daemon: ${err.message}\n`);
    socket.destroy();
  });
  child.on('close', () => {
    children.delete(child);
    socket.destroy();
  });
  socket.on('close', () => sockets.delete(socket));
}

/** Ends a connection's process group (git daemon and its pack process). */
async function killGroup(child: ChildProcess, ownGroup: boolean): Promise<void> {
  const pid = child.pid;
  if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  signal(pid, ownGroup, 'SIGTERM');
  const timer = setTimeout(() => signal(pid, ownGroup, 'SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
  // Anything of the group that outlived its leader goes too.
  if (ownGroup) signal(pid, ownGroup, 'SIGKILL');
}

function signal(pid: number, group: boolean, name: NodeJS.Signals): void {
  try {
    process.kill(group ? -pid : pid, name);
  } catch {
    // Gone already.
  }
}
