/**
 * Steps that start and stop the suite's git server: "a git server" creates
 * the fixture repositories, serves them with test-git-server on an ephemeral
 * loopback port and writes `$DATADIR/morph.conf` pointing the `test:` alias
 * at it. Every ref update pushed to it is logged in `$DATADIR/git-server.log`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { spawnGitServer } from '../test-git-server/spawn-git-server.js';
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
    /a git server( with the bootable test system)?/,
    'creates the fixture repositories in $DATADIR/gits (with the bootable test system of fixtures/boot-system: ' +
      'also its kernel, busybox and init repositories), serves them over git:// and writes morph.conf',
    async (ctx, boot) => {
      const started = Date.now();
      const elapsed = () => `${((Date.now() - started) / 1000).toFixed(2)} s`;
      await ensureGitIdentity(ctx);
      const arch = (await runMorph(ctx, 'run', 'print-architecture', [])).stdout.trim();
      ctx.log(`host architecture ${arch} (${elapsed()})`);
      const gits = await createFixtureRepos(ctx, arch, { boot: boot !== '' });
      ctx.log(`fixture repositories in ${gits} (${elapsed()})`);
      const server = await launchGitServer(ctx, gits, ctx.path('git-server.log'));
      setVar(ctx, gitServerVar, server);
      ctx.defer(() => server.stop());
      await writeMorphConfig(ctx, server.port);
      ctx.log(`git server on port ${server.port} (${elapsed()})`);
    },
  ),
  step(
    'WHEN',
    /the git server moves to another port/,
    'stops the git server and serves the same repositories on another port, rewriting morph.conf',
    async (ctx) => {
      const old = getVar(ctx, gitServerVar);
      if (!old) throw new StepFailure('no git server is running');
      let server = await launchGitServer(ctx, ctx.path('gits'), old.logFile);
      // An ephemeral port is almost never the same one twice in a row; make sure.
      if (server.port === old.port) {
        const other = await launchGitServer(ctx, ctx.path('gits'), old.logFile);
        await server.stop();
        server = other;
      }
      await old.stop();
      setVar(ctx, gitServerVar, server);
      ctx.defer(() => server.stop());
      await writeMorphConfig(ctx, server.port);
      ctx.log(`git server moved from port ${old.port} to ${server.port}`);
    },
  ),
  step(['FINALLY', 'WHEN'], /the git server is shut down/, 'stops the git server', async (ctx) => {
    await getVar(ctx, gitServerVar)?.stop();
  }),
];

/**
 * Starts test-git-server as a separate process group (see spawnGitServer)
 * when the compiled CLI exists, else in this process.
 */
async function launchGitServer(ctx: StepContext, root: string, logFile: string): Promise<RunningGitServer> {
  const cli = join(ctx.srcdir, 'dist', 'test-git-server', 'cli.js');
  const server = existsSync(cli)
    ? await spawnGitServer({
        cli,
        root,
        logFile,
        stderrFile: ctx.path('git-server.stderr'),
        env: ctx.env,
      }).catch((err: Error) => {
        throw new StepFailure(err.message);
      })
    : await startGitServer({ root, logFile });
  return { port: server.port, logFile, stop: () => server.stop() };
}
