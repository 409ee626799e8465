/**
 * Steps that start and stop the suite's git server: "a git server" creates
 * the fixture repositories, serves them with test-git-server on an ephemeral
 * loopback port and writes `$DATADIR/morph.conf` pointing the `test:` alias
 * at it. Every ref update pushed to it is logged in `$DATADIR/git-server.log`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { startGitServer } from '../test-git-server/start-git-server.js';
import { getVar, setVar, varKey } from './context.js';
import { createFixtureRepos, ensureGitIdentity } from './fixture-repos.js';
import { runMorph, writeMorphConfig } from './morph-runner.js';

/** The running server of a scenario. */
export interface RunningGitServer {
  port: number;
  /** `$DATADIR/git-server.log`: `<old> <new> <ref> <repo>` per pushed ref. */
  logFile: string;
  stop(): Promise<void>;
}

export const gitServerVar = varKey<RunningGitServer>('git-server');

export default [
  step(
    'GIVEN',
    /a git server/,
    'creates the fixture repositories in $DATADIR/gits, serves them over git:// and writes morph.conf',
    async (ctx) => {
      const started = Date.now();
      const elapsed = () => `${((Date.now() - started) / 1000).toFixed(2)} s`;
      await ensureGitIdentity(ctx);
      const arch = (await runMorph(ctx, 'run', 'print-architecture', [])).stdout.trim();
      ctx.log(`host architecture ${arch} (${elapsed()})`);
      const gits = await createFixtureRepos(ctx, arch);
      ctx.log(`fixture repositories in ${gits} (${elapsed()})`);
      const server = await launchGitServer(ctx, gits, ctx.path('git-server.log'));
      setVar(ctx, gitServerVar, server);
      ctx.defer(() => server.stop());
      await writeMorphConfig(ctx, server.port);
      ctx.log(`git server on port ${server.port} (${elapsed()})`);
    },
  ),
  step(['FINALLY', 'WHEN'], /the git server is shut down/, 'stops the git server', async (ctx) => {
    await getVar(ctx, gitServerVar)?.stop();
  }),
];

/**
 * Starts test-git-server as a separate process group (so that a step blocking
 * the engine's event loop cannot stall it) when the compiled CLI exists, else
 * in this process. The separate server also exits when its stdin closes,
 * i.e. when the engine dies.
 */
async function launchGitServer(ctx: StepContext, root: string, logFile: string): Promise<RunningGitServer> {
  const cli = join(ctx.srcdir, 'dist', 'test-git-server', 'cli.js');
  if (!existsSync(cli)) {
    const server = await startGitServer({ root, logFile });
    return { port: server.port, logFile, stop: () => server.stop() };
  }
  const stderrFile = ctx.path('git-server.stderr');
  const stderrFd = openSync(stderrFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [cli, '--root', root, '--log', logFile, '--exit-on-stdin-eof', '--verbose'],
      {
        stdio: ['pipe', 'pipe', stderrFd],
        detached: true,
        env: ctx.env,
      },
    );
  } finally {
    closeSync(stderrFd);
  }
  const stop = onceAsync(() => stopProcessGroup(child));
  let port: number;
  try {
    port = await readPort(child, stderrFile);
  } catch (err) {
    await stop();
    throw err;
  }
  child.unref();
  for (const stream of [child.stdin, child.stdout]) (stream as unknown as { unref?: () => void })?.unref?.();
  return { port, logFile, stop };
}

function readPort(child: ChildProcess, stderrFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      let detail = '';
      try {
        detail = readFileSync(stderrFile, 'utf8').trim();
      } catch {}
      reject(new StepFailure(`test-git-server ${why}${detail ? `:\n${detail}` : ''}`));
    };
    const timer = setTimeout(() => fail('did not report its port within 10 s'), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = /^(\d+)\n/.exec(text);
      if (line) {
        clearTimeout(timer);
        resolve(Number(line[1]));
      }
    });
    child.once('error', (err) => fail(`could not start (${err.message})`));
    child.once('exit', (code, signal) => fail(`exited early (${signal ?? code})`));
  });
}

/** SIGTERM to the server's process group, SIGKILL after 3 s, then SIGKILL to any leftover. */
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

function onceAsync(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}
