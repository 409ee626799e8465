/**
 * Steps for morph under faults and hostile input (issue 13): secrets in
 * morph's environment, SIGKILL in the middle of a deployment and what it
 * leaves, write extensions that plant symbolic links, file contents.
 */
import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loopDevicesUnder, mountsUnder } from '../src/shared/leftover-removal.js';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { startBackgroundMorph } from './background-morph.js';
import { getVar, requireVar, setVar, varKey } from './context.js';
import { backgroundVar } from './deploy-steps.js';
import { definitionsCheckout, morphEnvVar, runMorph } from './morph-runner.js';

/** mulberry32: a small seeded PRNG, so a benchmark's kill times can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every kind of leftover a killed deployment can leave in the scenario's data directory. */
async function leftoversByKind(ctx: StepContext, outputDir: string): Promise<Record<string, string[]>> {
  const entries = async (dir: string) =>
    (await readdir(ctx.path(dir)).catch(() => [] as string[])).map((n) => `${dir}/${n}`);
  return {
    mounts: mountsUnder(ctx.datadir),
    'loop devices': loopDevicesUnder(ctx.datadir),
    'temp dirs': [...(await entries('tmp/deployments')), ...(await entries('tmp/staging'))],
    'partial files': [
      ...(await partialsUnder(ctx.path(outputDir), 1)),
      ...(await partialsUnder(ctx.path('cache'), 3)),
    ],
    processes: [
      ...(await processesMentioning(ctx.path('tmp'))),
      ...(await processesMentioning(ctx.path('workspace'))),
    ],
  };
}

/** Counts of the fault benchmark, kept between its steps. */
const faultBenchVar = varKey<{
  /** Kills came at random delays up to this many ms. */
  maxDelay: number;
  runs: number;
  killed: number;
  completed: number;
  outputsAfterKill: number;
  /** Outputs at the location after a kill that `btrfs check` finds complete (killed after the rename). */
  completeAfterKill: number;
  /** Kills by the phase the deployment's last status line showed. */
  phases: Record<string, number>;
}>('fault-bench');

/** The phase of a deployment from its status lines so far. */
function killPhase(stdout: string): string {
  if (/disk image|Writing rawdisk|pristine/.test(stdout)) return 'writing the image';
  if (/Running configuration extension|Writing deployment metadata|Checking out/.test(stdout)) {
    return 'checking out and configuring';
  }
  return 'resolving (before checkout)';
}

/**
 * The wall time of one complete deploy of `cluster`, in ms, plus a quarter
 * (the later runs vary with load; some should complete). The deploy must succeed.
 */
async function timeOneDeploy(ctx: StepContext, cluster: string, cwd: string): Promise<number> {
  const started = Date.now();
  const background = await startBackgroundMorph(ctx, 'deploy', ['deploy', cluster], cwd);
  const code = await background.done;
  if (code !== 0) throw new StepFailure(`the timed deploy of ${cluster} failed with exit code ${code}`);
  return Math.round((Date.now() - started) * 1.25);
}

/** Processes (pid and command line) whose command line mentions `text`, this one excepted. */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(`${pid} ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

/** Entries under `dir` (recursively, `depth` levels) whose names mark partial state. */
async function partialsUnder(dir: string, depth: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (/\.morph-partial-|^\.partial-/.test(entry.name)) found.push(path);
    else if (entry.isDirectory() && depth > 1) found.push(...(await partialsUnder(path, depth - 1)));
  }
  return found;
}

export default [
  step(
    'GIVEN',
    /morph's environment has (\w+)=(\S*)/,
    'adds NAME=VALUE to the environment of every later morph command of the scenario',
    async (ctx, name, value) => {
      setVar(ctx, morphEnvVar, { ...(getVar(ctx, morphEnvVar) ?? {}), [name]: value });
    },
  ),
  step(
    'THEN',
    /file (\S+) (contains|does not contain) "(.*)"/,
    'reads $DATADIR/FILE and checks whether TEXT is in it',
    async (ctx, file, verb, text) => {
      const content = await readFile(ctx.path(file), 'utf8');
      const wanted = verb === 'contains';
      check(content.includes(text) === wanted, `${file} ${wanted ? 'lacks' : 'contains'} "${text}"`);
    },
  ),
  step(
    'GIVEN',
    /a write extension called (\S+) in branch (\S+) that makes its location a symbolic link to (\S+)/,
    'writes NAME.write in the definitions checkout: `ln -s $DATADIR/DIR LOCATION` (a hostile subsystem)',
    async (ctx, name, branch, dir) => {
      const file = join(definitionsCheckout(ctx, branch), `${name}.write`);
      await writeFile(file, `#!/bin/sh\nset -e\nln -s "$DATADIR/${dir}" "$2"\n`);
      await chmod(file, 0o755);
    },
  ),
  step(
    'WHEN',
    /the background deployment is killed with SIGKILL once its output includes "(.*)"/,
    'watches the background morph stdout and sends SIGKILL to morph alone (not its group) when TEXT appears',
    async (ctx, text) => {
      const background = requireVar(ctx, backgroundVar, 'the user starts deploying ... in the background');
      let seen = '';
      const killed = new Promise<void>((resolve, reject) => {
        background.child.stdout?.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes(text) && background.child.exitCode === null) {
            background.child.kill('SIGKILL');
            resolve();
          }
        });
        background.done.then(() =>
          reject(new StepFailure(`morph ended before its output included "${text}":\n${seen}`)),
        );
      });
      await killed;
      await background.done;
    },
    { timeoutMs: 300_000 },
  ),
  step(
    'THEN',
    /no process started by morph is left running/,
    'waits up to 10 s for every process whose command line mentions $DATADIR/tmp or $DATADIR/workspace to be gone',
    async (ctx) => {
      let left: string[] = [];
      for (let attempt = 0; attempt < 100; attempt++) {
        left = [
          ...(await processesMentioning(ctx.path('tmp'))),
          ...(await processesMentioning(ctx.path('workspace'))),
        ];
        if (left.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new StepFailure(`still running:\n${left.join('\n')}`);
    },
  ),
  step(
    'THEN',
    /no partial output is left in (\S+) or in the cache/,
    'looks for .morph-partial-* beside the outputs in $DATADIR/DIR and .partial-* anywhere 3 levels into $DATADIR/cache',
    async (ctx, dir) => {
      const left = [
        ...(await partialsUnder(ctx.path(dir), 1)),
        ...(await partialsUnder(ctx.path('cache'), 3)),
      ];
      check(left.length === 0, `partial outputs left:\n${left.join('\n')}`);
    },
  ),
  step(
    'THEN',
    /a partial output of (\S+) is left in (\S+)/,
    'looks for .NAME.morph-partial-* in $DATADIR/DIR (what the kill must have left for the next step to remove)',
    async (ctx, name, dir) => {
      const left = await partialsUnder(ctx.path(dir), 1);
      check(
        left.some((path) => path.includes(`/.${name}.morph-partial-`)),
        `no partial output of ${name} in ${dir}`,
      );
    },
  ),
  step('THEN', /directory (\S+) is empty/, 'lists $DATADIR/DIR', async (ctx, dir) => {
    const entries = await readdir(ctx.path(dir));
    check(entries.length === 0, `${dir} holds ${entries.join(' ')}`);
  }),
  step('GIVEN', /a directory called (\S+)/, 'mkdir -p $DATADIR/DIR', async (ctx, dir) => {
    await ctx.run(['mkdir', '-p', ctx.path(dir)]);
  }),
  step(
    'WHEN',
    /the cluster (\S+) in branch (\S+) is deployed (\d+) times to (\S+), each run killed with SIGKILL after a random delay of up to (\d+ ms|the time one deploy takes) \(seed (\d+)\)/,
    'fault benchmark: N background deploys, each SIGKILLed (morph alone) at a seeded random time (up to a fixed delay, or up to 1.25 times what a first, timed, complete deploy took); a completed output is removed before the next run, one found after a kill is counted',
    async (ctx, cluster, branch, count, output, limit, seed) => {
      const random = seededRandom(Number(seed));
      const cwd = definitionsCheckout(ctx, branch);
      const location = ctx.path(output);
      const maxDelay = limit.endsWith(' ms')
        ? Number.parseInt(limit, 10)
        : await timeOneDeploy(ctx, cluster, cwd);
      await rm(location, { force: true, recursive: true });
      ctx.log(`killing at random delays of up to ${maxDelay} ms`);
      const stats = {
        maxDelay,
        runs: 0,
        killed: 0,
        completed: 0,
        outputsAfterKill: 0,
        completeAfterKill: 0,
        phases: {} as Record<string, number>,
      };
      for (let run = 0; run < Number(count); run++) {
        const delay = Math.round(random() * Number(maxDelay));
        const background = await startBackgroundMorph(ctx, 'deploy', ['deploy', cluster], cwd);
        let seen = '';
        background.child.stdout?.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
        });
        const finished = await Promise.race([
          background.done.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), delay)),
        ]);
        stats.runs++;
        if (finished) {
          stats.completed++;
        } else {
          background.child.kill('SIGKILL');
          await background.done;
          stats.killed++;
          const phase = killPhase(seen);
          stats.phases[phase] = (stats.phases[phase] ?? 0) + 1;
          if (existsSync(location)) {
            // Killed after the rename (the write was complete) or a partial output at the location?
            const complete = (await ctx.run(['btrfs', 'check', '--readonly', location])).exitCode === 0;
            if (complete) stats.completeAfterKill++;
            else stats.outputsAfterKill++;
          }
        }
        ctx.log(`run ${run + 1}: ${finished ? 'completed' : `killed after ${delay} ms`}`);
        await rm(location, { force: true, recursive: true });
      }
      setVar(ctx, faultBenchVar, stats);
    },
    { timeoutMs: 3_600_000 },
  ),
  step('WHEN', /the user runs morph gc/, 'runs `morph gc` in $DATADIR; it must succeed', async (ctx) => {
    await runMorph(ctx, 'run', 'gc', []);
  }),
  step(
    'THEN',
    /nothing is left by the killed deployments of (\S+)/,
    'counts leftovers by kind (mounts, loop devices, temp dirs, partial files, processes, outputs found after a kill), writes the table to $DATADIR/fault-report (and $FAULT_REPORT if set); all must be 0',
    async (ctx, outputDir) => {
      const stats = getVar(ctx, faultBenchVar) ?? {
        maxDelay: 0,
        runs: 0,
        killed: 0,
        completed: 0,
        outputsAfterKill: 0,
        completeAfterKill: 0,
        phases: {},
      };
      let left: Record<string, string[]> = {};
      // The guardians kill the extension groups asynchronously: give them a moment.
      for (let attempt = 0; attempt < 50; attempt++) {
        left = await leftoversByKind(ctx, outputDir);
        if (Object.values(left).every((items) => items.length === 0)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const lines = [
        `deploys: ${stats.runs}, killed with SIGKILL after up to ${stats.maxDelay} ms: ${stats.killed}, completed before the kill: ${stats.completed}`,
        `complete images at the location after a kill (killed after the rename; btrfs check passes; not leftovers): ${stats.completeAfterKill}`,
        `kills by phase: ${
          Object.entries(stats.phases)
            .map(([phase, n]) => `${phase} ${n}`)
            .join(', ') || 'none'
        }`,
        'leftovers by kind (after one more deploy and morph gc):',
        `  partial outputs at the location after a kill: ${stats.outputsAfterKill}`,
        ...Object.entries(left).map(
          ([kind, items]) => `  ${kind}: ${items.length}${items.length ? ` (${items.join(', ')})` : ''}`,
        ),
      ];
      const report = `${lines.join('\n')}\n`;
      await writeFile(ctx.path('fault-report'), report);
      if (ctx.env.FAULT_REPORT) await writeFile(ctx.env.FAULT_REPORT, report);
      ctx.log(report);
      const total =
        stats.outputsAfterKill + Object.values(left).reduce((sum, items) => sum + items.length, 0);
      check(total === 0, report);
    },
  ),
];
