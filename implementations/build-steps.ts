/**
 * Steps for `yarns/building.yarn`: editing definitions in a checkout
 * without committing them, and inspecting what `morph build` printed and
 * left behind.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, copyFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { type BackgroundMorph, interruptWhenStarted, startBackgroundMorph } from './background-morph.js';
import { requireVar, runChecked, setVar, varKey } from './context.js';
import { definitionsCheckout } from './morph-runner.js';

const BUILD_REFS = 'refs/heads/baserock/builds/';

/** The workspace checkout of REPO (`test:test-chunk` → `workspace/BRANCH/test/test-chunk`). */
function checkoutOf(ctx: StepContext, repo: string, branch: string): string {
  return ctx.path('workspace', branch, ...repo.split(':'));
}

async function buildRefs(ctx: StepContext, dir: string): Promise<string[]> {
  const out = await runChecked(ctx, ['git', 'for-each-ref', '--format=%(refname)', BUILD_REFS], { cwd: dir });
  return out.stdout.split('\n').filter((line) => line !== '');
}

/** Ref updates of temporary build branches the git server received: `<old> <new> <ref> <repo>`. */
async function pushedBuildRefs(ctx: StepContext): Promise<string[][]> {
  const log = await readFile(ctx.path('git-server.log'), 'utf8').catch(() => '');
  return log
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[2]?.startsWith(BUILD_REFS));
}

const buildBackgroundVar = varKey<BackgroundMorph>('build-background');
const waitingCommandVar = varKey<{ marker: string; sleep: string }>('waiting-build-command');

export default [
  step(
    'GIVEN',
    /in branch (\S+), the stratum (\S+) builds (\S+) in bootstrap mode/,
    'sets `build-mode: bootstrap` on the chunk spec in the stratum morphology (its commands then run on the host)',
    async (ctx, branch, file, chunk) => {
      const path = join(definitionsCheckout(ctx, branch), file);
      const stratum = parse(await readFile(path, 'utf8')) as { chunks?: { name: string }[] };
      const spec = stratum.chunks?.find((c) => c.name === chunk);
      if (!spec) throw new StepFailure(`${file} has no chunk ${chunk}`);
      Object.assign(spec, { 'build-mode': 'bootstrap' });
      await writeFile(path, stringify(stratum));
    },
  ),
  step(
    'GIVEN',
    /in branch (\S+), the morphology (\S+) gets a build command that waits to be interrupted/,
    'appends build-commands: touching a marker in /tmp (writable in bootstrap mode), then a `sleep` of a unique length',
    async (ctx, branch, file) => {
      const id = randomBytes(4).readUInt32BE(0) % 1_000_000;
      const marker = `/tmp/morph-build-started-${process.pid}-${id}`;
      const sleep = `600.${String(id).padStart(6, '0')}`;
      ctx.defer(() => rm(marker, { force: true }));
      setVar(ctx, waitingCommandVar, { marker, sleep });
      const path = join(definitionsCheckout(ctx, branch), file);
      await appendFile(path, `build-commands: ["touch ${marker} && exec sleep ${sleep}"]\n`);
    },
  ),
  step(
    'WHEN',
    /the user starts building the system (\S+) in branch (\S+) in the background/,
    'starts `morph build SYSTEM` in its own process group; its exit code is recorded when it ends',
    async (ctx, system, branch) => {
      const cwd = definitionsCheckout(ctx, branch);
      setVar(ctx, buildBackgroundVar, await startBackgroundMorph(ctx, 'build', ['build', system], cwd));
    },
  ),
  step(
    'WHEN',
    /the background build gets (SIGINT|SIGTERM) once its build command has started/,
    'waits for the marker of the waiting build command, then sends SIGINT to the process group (Ctrl-C) or SIGTERM to morph',
    async (ctx, signal) => {
      const background = requireVar(
        ctx,
        buildBackgroundVar,
        'the user starts building ... in the background',
      );
      const { marker } = requireVar(ctx, waitingCommandVar, 'a build command that waits to be interrupted');
      await interruptWhenStarted(ctx, background, {
        marker,
        what: 'the build command to start',
        signal: signal as 'SIGINT' | 'SIGTERM',
        subcommand: 'build',
      });
    },
    { timeoutMs: 420_000 },
  ),
  step(
    'THEN',
    /the waiting build command is no longer running/,
    'looks for its unique `sleep` with pgrep (a second to die)',
    async (ctx) => {
      const { sleep } = requireVar(ctx, waitingCommandVar, 'a build command that waits to be interrupted');
      for (let tries = 0; ; tries++) {
        const found = await ctx.run(['pgrep', '-f', `sleep ${sleep}`]);
        if (found.exitCode !== 0) return;
        if (tries >= 10) throw new StepFailure(`still running: pids ${found.stdout.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  ),
  step(
    'THEN',
    /no staging area or dependency tree is left in the temporary directory/,
    'checks that $DATADIR/tmp/staging has no entries (interrupted areas may be kept under tmp/failed)',
    async (ctx) => {
      const entries = await readdir(ctx.path('tmp', 'staging')).catch(() => [] as string[]);
      check(entries.length === 0, `left in tmp/staging: ${entries.join(' ')}`);
    },
  ),
  step(
    'GIVEN',
    /the temporary directory is a filesystem of (\d+) MiB/,
    'mounts a tmpfs of that size at $DATADIR/tmp (the tempdir of the suite config); unmounted at the end of the scenario',
    async (ctx, size) => {
      const tmp = ctx.path('tmp');
      await runChecked(ctx, ['mkdir', '-p', tmp]);
      await runChecked(ctx, ['mount', '-t', 'tmpfs', '-o', `size=${size}m`, 'morph-test-tempdir', tmp]);
      ctx.defer(async () => {
        const unmounted = await ctx.run(['umount', tmp]);
        if (unmounted.exitCode !== 0) await ctx.run(['umount', '--lazy', tmp]);
      });
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /in branch (\S+), the morphology (\S+) gets ([\w-]+): (.*)/,
    'appends `KEY: VALUE` (YAML) to a morphology of the definitions checkout; the later key wins',
    async (ctx, branch, file, key, value) => {
      const path = join(definitionsCheckout(ctx, branch), file);
      const text = await readFile(path, 'utf8').catch(() => {
        throw new StepFailure(`cannot read ${path} (is ${dirname(path)} checked out?)`);
      });
      await appendFile(path, `${text.endsWith('\n') ? '' : '\n'}${key}: ${value}\n`);
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /in branch (\S+), the morphology (\S+) is copied to (\S+)/,
    'copies a morphology inside the definitions checkout (the copy is never committed)',
    async (ctx, branch, from, to) => {
      const root = definitionsCheckout(ctx, branch);
      await copyFile(join(root, from), join(root, to));
    },
  ),
  step(
    'THEN',
    /the output of morph (\S+) (mentions|does not mention) "(.*)"/,
    'looks for the text anywhere in $DATADIR/out-SUBCOMMAND (status lines, build logs)',
    async (ctx, subcommand, verb, text) => {
      const out = await readFile(ctx.path(`out-${subcommand}`), 'utf8').catch(() => {
        throw new StepFailure(`no morph ${subcommand} has been run`);
      });
      const found = out.includes(text);
      check(
        verb === 'mentions' ? found : !found,
        `morph ${subcommand} output ${found ? 'mentions' : 'does not mention'} "${text}":\n${out}`,
      );
    },
  ),
  step(
    'THEN',
    /(a|no) failed build staging area is kept/,
    'checks $DATADIR/tmp/failed (the tempdir of the suite config) for staging areas; a kept one holds the staged dependencies (bin/sh) and a build directory',
    async (ctx, which) => {
      const entries = await readdir(ctx.path('tmp', 'failed')).catch(() => [] as string[]);
      check(
        which === 'a' ? entries.length > 0 : entries.length === 0,
        `tmp/failed holds ${entries.length === 0 ? 'nothing' : entries.join(', ')}`,
      );
      for (const entry of which === 'a' ? entries : []) {
        const kept = await readdir(ctx.path('tmp', 'failed', entry));
        check(
          kept.includes('bin') && kept.some((name) => name.endsWith('.build')),
          `tmp/failed/${entry} holds ${kept.join(', ')}: no bin/ or *.build`,
        );
      }
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the morph configuration (enables|disables) pushing build branches/,
    'appends `push-build-branches = True|False` to $DATADIR/morph.conf',
    async (ctx, verb) => {
      await appendFile(
        ctx.path('morph.conf'),
        `push-build-branches = ${verb === 'enables' ? 'True' : 'False'}\n`,
      );
    },
  ),
  step(
    'THEN',
    /the checkout of (\S+) in branch (\S+) has (no|a) temporary build branch/,
    `looks for local refs under ${BUILD_REFS} in the workspace checkout`,
    async (ctx, repo, branch, which) => {
      const refs = await buildRefs(ctx, checkoutOf(ctx, repo, branch));
      check(which === 'a' ? refs.length > 0 : refs.length === 0, `build refs: ${refs.join(', ') || 'none'}`);
    },
  ),
  step(
    'THEN',
    /in the temporary build branch of (\S+) in branch (\S+), file (\S+) contains "(.*)"/,
    "reads the file from the newest commit of the checkout's build ref",
    async (ctx, repo, branch, file, text) => {
      const dir = checkoutOf(ctx, repo, branch);
      const [ref, ...more] = await buildRefs(ctx, dir);
      check(
        ref !== undefined && more.length === 0,
        `expected one build ref in ${dir}, found ${more.length + (ref ? 1 : 0)}`,
      );
      const content = (await runChecked(ctx, ['git', 'show', `${ref}:${file}`], { cwd: dir })).stdout;
      check(content.includes(text), `${file} in ${ref} is ${JSON.stringify(content)}`);
    },
  ),
  step(
    'THEN',
    /temporary build branches were (pushed to the git server and deleted again|never pushed)/,
    'reads the ref updates the git server logged',
    async (ctx, what) => {
      const updates = await pushedBuildRefs(ctx);
      if (what === 'never pushed') {
        check(updates.length === 0, `pushed: ${updates.map((u) => u[2]).join(', ')}`);
        return;
      }
      const zero = '0'.repeat(40);
      const created = updates.filter((u) => u[0] === zero).map((u) => u[2]);
      const deleted = updates.filter((u) => u[1] === zero).map((u) => u[2]);
      check(created.length > 0, 'no build branch was pushed');
      const left = created.filter((ref) => !deleted.includes(ref));
      check(left.length === 0, `not deleted from the server: ${left.join(', ')}`);
    },
  ),
];
