/**
 * Steps for `yarns/workspaces.yarn`: running any morph command from a
 * directory, and checking workspaces, system branches, their checkouts,
 * the definitions `morph edit` changes, and the git cache.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { requireVar, runChecked, shellWords } from './context.js';
import { gitServerVar } from './git-server.js';
import { morphMode, runMorph } from './morph-runner.js';

export default [
  step(
    ['GIVEN', 'WHEN'],
    /the user (initialises|attempts to initialise) a workspace in (\S+)/,
    'runs `morph init $DATADIR/DIR` from $DATADIR',
    async (ctx, verb, dir) => {
      await runMorph(ctx, verb.startsWith('attempt') ? 'attempt' : 'run', 'init', [ctx.path(dir)]);
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /from directory (\S+) the user (runs|attempts to run) morph (.+)/,
    'runs `morph WORDS` (split as sh does) in $DATADIR/DIR; the first word names the out-/result- files',
    async (ctx, dir, verb, text) => {
      const [subcommand, ...args] = await shellWords(ctx, text);
      if (subcommand === undefined) throw new StepFailure('no morph subcommand given');
      await runMorph(ctx, morphMode(verb), subcommand, args, ctx.path(dir));
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the user writes "(.*)" to the file (\S+)/,
    'writes the text and a newline to $DATADIR/PATH',
    async (ctx, text, path) => {
      await writeFile(ctx.path(path), `${text}\n`);
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the user commits all changes in the checkout of (\S+) in branch (\S+)/,
    'runs `git add -A` and `git commit` in the checkout',
    async (ctx, repo, branch) => {
      const cwd = checkoutDir(ctx, branch, repo);
      await runChecked(ctx, ['git', 'add', '-A'], { cwd });
      await runChecked(ctx, ['git', 'commit', '-q', '-m', 'Changes made by the scenario'], { cwd });
    },
  ),
  step(
    'THEN',
    /directory (\S+) contains only (.+)/,
    'compares the entries of $DATADIR/DIR',
    async (ctx, dir, list) => {
      const expected = list.split(/\s+and\s+|,\s*|\s+/).filter((w) => w !== '');
      const actual = await readdir(ctx.path(dir));
      check(
        JSON.stringify(actual.sort()) === JSON.stringify(expected.sort()),
        `${dir} contains ${actual.join(', ') || 'nothing'}, expected ${expected.join(', ')}`,
      );
    },
  ),
  step(
    'THEN',
    /the output of morph (\S+) is "(.*)"/,
    'checks that $DATADIR/out-SUBCOMMAND is exactly the text ($DATADIR expanded) and a newline',
    async (ctx, subcommand, text) => {
      const out = await morphOutput(ctx, subcommand);
      const expected = `${expand(ctx, text)}\n`;
      check(
        out === expected,
        `morph ${subcommand} printed ${JSON.stringify(out)}, expected ${JSON.stringify(expected)}`,
      );
    },
  ),
  step(
    'THEN',
    /the output of morph (\S+) (contains|does not contain) the (indented )?line "(.*)"/,
    'looks for an exact line ($DATADIR expanded; "indented" = after four spaces) in $DATADIR/out-SUBCOMMAND',
    async (ctx, subcommand, verb, indented, text) => {
      const lines = (await morphOutput(ctx, subcommand)).split('\n');
      const wanted = `${indented ? '    ' : ''}${expand(ctx, text)}`;
      const found = lines.includes(wanted);
      check(
        found === (verb === 'contains'),
        `morph ${subcommand} output ${verb === 'contains' ? 'has no' : 'has a'} line ${JSON.stringify(wanted)}:\n${lines.join('\n')}`,
      );
    },
  ),
  step(
    'THEN',
    /the output of morph print-architecture names the architecture of this machine/,
    'compares with `uname -m` mapped as docs/spec/morph.md 9.1 says',
    async (ctx) => {
      const machine = (await runChecked(ctx, ['uname', '-m'])).stdout.trim();
      const expected =
        { i386: 'x86_32', i486: 'x86_32', i586: 'x86_32', i686: 'x86_32', aarch64: 'armv8l64' }[machine] ??
        machine;
      const out = await morphOutput(ctx, 'print-architecture');
      check(
        out === `${expected}\n`,
        `morph print-architecture printed ${JSON.stringify(out)}, expected ${expected}`,
      );
    },
  ),
  step(
    'THEN',
    /the (\S+) error names the directory (\S+)/,
    'checks that $DATADIR/result-SUBCOMMAND contains the absolute path of $DATADIR/DIR',
    async (ctx, subcommand, dir) => {
      const text = await readFile(ctx.path(`result-${subcommand}`), 'utf8');
      check(
        text.includes(`${ctx.path(dir)}\n`) || text.includes(`${ctx.path(dir)}:`),
        `no ${ctx.path(dir)} in:\n${text}`,
      );
    },
  ),
  step(
    'THEN',
    /morph (\S+) wrote nothing to stderr/,
    'checks that $DATADIR/result-SUBCOMMAND is empty',
    async (ctx, sub) => {
      const text = await readFile(ctx.path(`result-${sub}`), 'utf8');
      check(text === '', `morph ${sub} wrote to stderr:\n${text}`);
    },
  ),
  step(
    'THEN',
    /the system branch (\S+) has root (\S+)/,
    'checks .morph-system-branch/config of workspace/BRANCH: name, root and a 32-hex uuid',
    async (ctx, branch, root) => {
      const file = ctx.path('workspace', branch, '.morph-system-branch', 'config');
      const get = async (key: string) =>
        (await runChecked(ctx, ['git', 'config', '-f', file, key])).stdout.trim();
      check((await get('branch.name')) === branch, `branch.name in ${file} is not ${branch}`);
      check((await get('branch.root')) === root, `branch.root in ${file} is not ${root}`);
      check(/^[0-9a-f]{32}$/.test(await get('branch.uuid')), `branch.uuid in ${file} is not 32 hex digits`);
    },
  ),
  step(
    'THEN',
    /the checkout of (\S+) in branch (\S+) is set up for morph/,
    'checks morph.repository, morph.uuid, the origin URL and pushInsteadOf of the checkout',
    async (ctx, repo, branch) => {
      const cwd = checkoutDir(ctx, branch, repo);
      const get = async (key: string) =>
        (await ctx.run(['git', 'config', '--get', key], { cwd })).stdout.trim();
      const url = `git://127.0.0.1:${requireVar(ctx, gitServerVar, 'a git server').port}/${repo.replace(/^test:/, '')}`;
      check((await get('morph.repository')) === repo, `morph.repository of ${cwd} is not ${repo}`);
      check(/^[0-9a-f]{32}$/.test(await get('morph.uuid')), `morph.uuid of ${cwd} is not 32 hex digits`);
      check((await get('remote.origin.url')) === url, `remote.origin.url of ${cwd} is not ${url}`);
      check((await get(`url.${url}.pushInsteadOf`)) === url, `${cwd} has no pushInsteadOf for ${url}`);
    },
  ),
  step(
    'THEN',
    /the checkout of (\S+) in branch (\S+) is on (?:the )?(branch (\S+)|a detached HEAD)/,
    'checks what HEAD of the checkout is',
    async (ctx, repo, branch, what, name) => {
      const cwd = checkoutDir(ctx, branch, repo);
      const head = (
        await runChecked(ctx, ['git', 'rev-parse', '--abbrev-ref', 'HEAD'], { cwd })
      ).stdout.trim();
      const expected = what.startsWith('branch') ? name : 'HEAD';
      check(head === expected, `HEAD of ${cwd} is ${head}, expected ${expected}`);
    },
  ),
  step(
    'THEN',
    /the branch (\S+) of the checkout of (\S+) in branch (\S+) (has|has no) upstream/,
    'checks whether the local branch tracks a remote branch',
    async (ctx, local, repo, branch, verb) => {
      const cwd = checkoutDir(ctx, branch, repo);
      const result = await ctx.run(['git', 'rev-parse', '--abbrev-ref', `${local}@{upstream}`], { cwd });
      check(
        (result.exitCode === 0) === (verb === 'has'),
        `branch ${local} of ${cwd} ${verb} upstream is false`,
      );
    },
  ),
  step(
    'THEN',
    /in branch (\S+), chunk (\S+) of stratum (\S+) has ref (\S+) and the old ref as unpetrify-ref/,
    'reads the stratum in the definitions checkout: ref, and a 40-hex unpetrify-ref',
    async (ctx, branch, chunk, stratum, ref) => {
      const spec = await chunkSpec(ctx, branch, stratum, chunk);
      check(spec.ref === ref, `chunk ${chunk} has ref ${String(spec.ref)}, expected ${ref}`);
      check(
        /^[0-9a-f]{40}$/.test(String(spec['unpetrify-ref'])),
        `chunk ${chunk} has unpetrify-ref ${String(spec['unpetrify-ref'])}, expected the old SHA`,
      );
    },
  ),
  step(
    'THEN',
    /in branch (\S+), chunk (\S+) of stratum (\S+) is pinned to a commit/,
    'reads the stratum in the definitions checkout: ref is 40 hex digits',
    async (ctx, branch, chunk, stratum) => {
      const spec = await chunkSpec(ctx, branch, stratum, chunk);
      check(/^[0-9a-f]{40}$/.test(String(spec.ref)), `chunk ${chunk} has ref ${String(spec.ref)}`);
    },
  ),
  step(
    'THEN',
    /in branch (\S+), the strata of system (\S+) have no repo or ref/,
    'reads the system morphology in the definitions checkout',
    async (ctx, branch, system) => {
      const doc = await readMorphology(ctx, branch, system);
      for (const spec of (doc.strata ?? []) as Record<string, unknown>[]) {
        check(!('repo' in spec) && !('ref' in spec), `a stratum spec of ${system} has repo or ref`);
      }
    },
  ),
  step(
    'THEN',
    /the git cache has a mirror of (\S+)/,
    'checks $DATADIR/cache/gits/<escaped git:// URL> is a bare repository',
    async (ctx, repo) => {
      const port = requireVar(ctx, gitServerVar, 'a git server').port;
      const url = `git://127.0.0.1:${port}/${repo.replace(/^test:/, '')}`;
      const mirror = ctx.path('cache', 'gits', url.replace(/[^A-Za-z0-9%_]/g, '_'));
      const isBare = await ctx.run(['git', 'rev-parse', '--is-bare-repository'], { cwd: mirror });
      check(isBare.stdout.trim() === 'true', `${mirror} is not a bare git repository`);
    },
  ),
  step('THEN', /directory (\S+) does not exist/, 'checks that $DATADIR/DIR is absent', async (ctx, dir) => {
    const exists = await stat(ctx.path(dir)).then(
      () => true,
      () => false,
    );
    check(!exists, `${dir} exists`);
  }),
];

/** `workspace/BRANCH/<repo with : as />`, as morph fabricates checkout paths. */
function checkoutDir(ctx: StepContext, branch: string, repo: string): string {
  return ctx.path('workspace', branch, repo.replace(/:/g, '/'));
}

/** `$DATADIR` becomes the data directory and `\\n` a newline. */
function expand(ctx: StepContext, text: string): string {
  return text.replaceAll('$DATADIR', ctx.datadir).replaceAll('\\n', '\n');
}

async function morphOutput(ctx: StepContext, subcommand: string): Promise<string> {
  const file = ctx.path(`out-${subcommand}`);
  return readFile(file, 'utf8').catch(() => {
    throw new StepFailure(`no morph ${subcommand} has been run (${file} is missing)`);
  });
}

async function readMorphology(
  ctx: StepContext,
  branch: string,
  file: string,
): Promise<Record<string, unknown>> {
  const path = join(checkoutDir(ctx, branch, 'test:morphs'), file);
  const text = await readFile(path, 'utf8').catch(() => {
    throw new StepFailure(`cannot read ${path} (is ${dirname(path)} checked out?)`);
  });
  return parse(text, { uniqueKeys: false, version: '1.1' }) as Record<string, unknown>;
}

async function chunkSpec(
  ctx: StepContext,
  branch: string,
  stratum: string,
  chunk: string,
): Promise<Record<string, unknown>> {
  const doc = await readMorphology(ctx, branch, stratum);
  const spec = ((doc.chunks ?? []) as Record<string, unknown>[]).find((c) => c.name === chunk);
  if (!spec) throw new StepFailure(`stratum ${stratum} has no chunk ${chunk}`);
  return spec;
}
