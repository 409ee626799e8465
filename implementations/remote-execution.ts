/**
 * Steps for builds on a Remote Execution API engine: "a remote execution
 * engine" starts the REAPI test double (test/reapi-test-double) on a
 * loopback port, or takes the real engine named by MORPH_REAPI_URL (and
 * MORPH_REAPI_INSTANCE) when that is set; remote builds go into caches of
 * their own, so that their artifacts can be compared with a local build's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { getVar, setVar, varKey } from './context.js';
import { definitionsCheckout, morphMode, runMorph } from './morph-runner.js';

/** The engine of a scenario. */
interface Engine {
  url: string;
  instance: string;
  /** The test double's event log (absent for a real engine). */
  logFile?: string;
  stop(): Promise<void>;
}

const engineVar = varKey<Engine>('remote-engine');

export default [
  step(
    'GIVEN',
    /a remote execution engine( that goes away during its first execution)?/,
    'starts the REAPI test double on 127.0.0.1 (or uses MORPH_REAPI_URL; the engine that goes away is always the double)',
    async (ctx, vanishing) => {
      const real = process.env.MORPH_REAPI_URL;
      const engine =
        real && !vanishing
          ? { url: real, instance: process.env.MORPH_REAPI_INSTANCE ?? '', stop: async () => {} }
          : await startTestDouble(ctx, vanishing ? ['--vanish-on-execute=1'] : []);
      setVar(ctx, engineVar, engine);
      ctx.defer(() => engine.stop());
      ctx.log(`remote execution engine at ${engine.url}`);
    },
  ),
  step(
    ['FINALLY', 'WHEN'],
    /the remote execution engine is shut down/,
    'stops the test double',
    async (ctx) => {
      await getVar(ctx, engineVar)?.stop();
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the user (builds|attempts to build) the system (\S+) in branch (\S+) remotely into cache (\S+)/,
    'runs `morph build SYSTEM --remote-execution=URL --cachedir=$DATADIR/CACHE` in the definitions checkout',
    async (ctx, verb, system, branch, cache) => {
      const engine = requireEngine(ctx);
      await runMorph(
        ctx,
        morphMode(verb),
        'build',
        [
          `--remote-execution=${engine.url}`,
          `--remote-instance-name=${engine.instance}`,
          `--cachedir=${ctx.path(cache)}`,
          system,
        ],
        definitionsCheckout(ctx, branch),
      );
    },
  ),
  step(
    'THEN',
    /the caches (\S+) and (\S+) hold the same artifacts with the same checksums/,
    'compares the refs of two caches and, for each, `ostree ls -R -C`: mode, owner, size and checksum of every path',
    async (ctx, first, second) => {
      const refs = async (cache: string) =>
        (await ctx.run(['ostree', `--repo=${ctx.path(cache, 'artifacts', 'repo')}`, 'refs'])).stdout
          .split('\n')
          .filter(Boolean)
          .sort();
      const [a, b] = [await refs(first), await refs(second)];
      check(a.length > 0, `cache ${first} holds no artifacts`);
      check(
        a.join('\n') === b.join('\n'),
        `the caches hold different refs:\n${a.join('\n')}\n--\n${b.join('\n')}`,
      );
      for (const ref of a) {
        const list = async (cache: string) =>
          (await ctx.run(['ostree', `--repo=${ctx.path(cache, 'artifacts', 'repo')}`, 'ls', '-R', '-C', ref]))
            .stdout;
        const [x, y] = [await list(first), await list(second)];
        check(x === y, `artifact ${ref} differs:\n${x}\n--\n${y}`);
      }
      ctx.log(`${a.length} artifacts identical`);
    },
  ),
  step(
    'THEN',
    /the remote build (executed|looked up) (\d+) chunks? (?:on|in the action cache of) the engine/,
    'counts the status lines of $DATADIR/out-build: "Remote execution: completed" per executed chunk, "Remote action cache hit" per cached one',
    async (ctx, which, count) => {
      const out = await readFile(ctx.path('out-build'), 'utf8');
      const executed = out.split('\n').filter((line) => line.includes('Remote execution: completed')).length;
      const cached = out.split('\n').filter((line) => line.includes('Remote action cache hit')).length;
      const found = which === 'executed' ? executed : cached;
      check(
        found === Number(count),
        `${executed} chunks executed and ${cached} found in the action cache:\n${out}`,
      );
    },
  ),
  step(
    'THEN',
    /morph reported one error, naming the remote execution service/,
    'checks $DATADIR/result-build: exactly one ERROR: line, mentioning the remote execution service',
    async (ctx) => {
      const errors = (await readFile(ctx.path('result-build'), 'utf8'))
        .split('\n')
        .filter((l) => l.startsWith('ERROR:'));
      check(errors.length === 1, `expected one ERROR: line, got:\n${errors.join('\n')}`);
      check(
        errors[0]?.includes('remote execution service'),
        `the error does not name the engine: ${errors[0]}`,
      );
    },
  ),
  step(
    'THEN',
    /cache (\S+) holds no artifact of (\S+)/,
    'lists the refs of the cache; none may end in .chunk.NAME',
    async (ctx, cache, name) => {
      const repo = ctx.path(cache, 'artifacts', 'repo');
      if (!existsSync(repo)) return;
      const refs = (await ctx.run(['ostree', `--repo=${repo}`, 'refs'])).stdout.split('\n');
      const found = refs.filter(
        (ref) => ref.endsWith(`.chunk.${name}`) || ref.endsWith(`chunk.${name}-devel`),
      );
      check(found.length === 0, `artifacts of ${name} are in ${cache}: ${found.join(' ')}`);
    },
  ),
];

function requireEngine(ctx: StepContext): Engine {
  const engine = getVar(ctx, engineVar);
  if (!engine) throw new StepFailure('no remote execution engine: add GIVEN a remote execution engine');
  return engine;
}

/** Starts the test double's CLI in a process group of its own and waits for its port. */
async function startTestDouble(ctx: StepContext, extra: string[]): Promise<Engine> {
  const cli = join(ctx.srcdir, 'dist', 'test', 'reapi-test-double', 'cli.js');
  const workDir = ctx.path('reapi-work');
  await mkdir(workDir, { recursive: true });
  const logFile = ctx.path('reapi.log');
  const portFile = ctx.path('reapi.port');
  const stderr = openSync(ctx.path('reapi.stderr'), 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, `--work-dir=${workDir}`, `--log-file=${logFile}`, `--port-file=${portFile}`, ...extra],
    { detached: true, stdio: ['ignore', 'ignore', stderr], env: ctx.env },
  );
  closeSync(stderr);
  child.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      return;
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {}
  };
  for (let waited = 0; waited < 15000; waited += 50) {
    const port = (await readFile(portFile, 'utf8').catch(() => '')).trim();
    if (port) return { url: `grpc://127.0.0.1:${port}`, instance: '', logFile, stop };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  const why = await readFile(ctx.path('reapi.stderr'), 'utf8').catch(() => '');
  throw new StepFailure(`the REAPI test double did not start:\n${why}`);
}
