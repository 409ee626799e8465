/**
 * Steps over the `examples/` definitions tree: local repositories made from
 * it (served by a `file://` alias, as docs/quickstart.md does by hand) and
 * edits of definition files, for the scenarios of definition mistakes and
 * of the 2015 commands.
 */
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { check, step } from '../src/yarn/api.js';
import { runChecked, shellWords } from './context.js';
import { ensureGitIdentity } from './fixture-repos.js';

/** The repositories of `examples/`, each made a git repository of its own. */
const EXAMPLE_REPOS = ['definitions', 'busybox', 'hello'];

export default [
  step(
    'GIVEN',
    /the example repositories/,
    'copies examples/{definitions,busybox,hello} to $DATADIR/repos as git repos and writes morph.conf with the `local:` alias',
    async (ctx) => {
      await ensureGitIdentity(ctx);
      const repos = ctx.path('repos');
      for (const name of EXAMPLE_REPOS) {
        const dir = join(repos, name);
        await cp(join(ctx.srcdir, 'examples', name), dir, { recursive: true });
        await runChecked(ctx, ['git', 'init', '-q', '-b', 'master'], { cwd: dir });
        await runChecked(ctx, ['git', 'add', '.'], { cwd: dir });
        await runChecked(ctx, ['git', 'commit', '-q', '-m', `${name} from examples/`], { cwd: dir });
      }
      await writeFile(
        ctx.path('morph.conf'),
        [
          '[config]',
          `repo-alias = local=file://${repos}/%s#file://${repos}/%s`,
          `cachedir = ${ctx.path('cache')}`,
          `tempdir = ${ctx.path('tmp')}`,
          '',
        ].join('\n'),
      );
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /in (?:the )?file (\S+), "(.*)" is replaced by "(.*)"/,
    'replaces the first occurrence of a one-line text in $DATADIR/FILE; `\\n` in the new text starts a line indented like the old text (a list item: like its first key)',
    async (ctx, file, from, to) => {
      const path = ctx.path(file);
      const text = await readFile(path, 'utf8');
      const at = text.indexOf(from);
      check(at >= 0, `${file} has no "${from}"`);
      // A list item's new keys line up with its first key.
      const column = at - text.lastIndexOf('\n', at) - 1 + (from.startsWith('- ') ? 2 : 0);
      const indent = ' '.repeat(column);
      const replacement = to.replaceAll('\\n', `\n${indent}`);
      await writeFile(path, text.slice(0, at) + replacement + text.slice(at + from.length));
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /tarball (\S+) is extracted to (\S+)/,
    'runs `tar -xf $DATADIR/TARBALL -C $DATADIR/DIR` (DIR made first)',
    async (ctx, tarball, dir) => {
      await mkdir(ctx.path(dir), { recursive: true });
      await runChecked(ctx, ['tar', '-xf', ctx.path(tarball), '-C', ctx.path(dir)]);
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the user makes the directory (\S+)/,
    'runs `mkdir -p $DATADIR/DIR`',
    async (ctx, dir) => {
      await mkdir(ctx.path(dir), { recursive: true });
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the directory (\S+) is removed/,
    'removes $DATADIR/DIR and everything in it',
    async (ctx, dir) => {
      await rm(ctx.path(dir), { recursive: true, force: true });
    },
  ),
  step(
    'THEN',
    /no artifact metadata in directory (\S+) contains "(.*)"/,
    'reads every *.meta file under $DATADIR/DIR but deployment.meta (the deployment environment); `$DATADIR` in the text is the data directory',
    async (ctx, dir, text) => {
      const needle = text.replaceAll('$DATADIR', ctx.datadir);
      const entries = await readdir(ctx.path(dir), { recursive: true, withFileTypes: true });
      for (const entry of entries) {
        if (!entry.isFile() || !entry.name.endsWith('.meta') || entry.name === 'deployment.meta') continue;
        const path = join(entry.parentPath, entry.name);
        check(!(await readFile(path, 'utf8')).includes(needle), `${path} contains "${needle}"`);
      }
    },
  ),
  step(
    'THEN',
    /file (\S+) records (\S+) "(.*)"/,
    'checks a top-level string field of the JSON metadata file $DATADIR/FILE',
    async (ctx, file, field, value) => {
      const record = JSON.parse(await readFile(ctx.path(file), 'utf8')) as Record<string, unknown>;
      check(
        record[field] === value,
        `${file} records ${field} ${JSON.stringify(record[field])}, not "${value}"`,
      );
    },
  ),
  step(
    ['GIVEN', 'WHEN', 'THEN'],
    /in directory (\S+), (?:the user runs )?git (.+)/,
    'runs `git WORDS` (split as sh does) in $DATADIR/DIR, failing on a non-zero exit (THEN: a check)',
    async (ctx, dir, text) => {
      await runChecked(ctx, ['git', ...(await shellWords(ctx, text))], { cwd: ctx.path(dir) });
    },
  ),
  step(
    'THEN',
    /the git repository (\S+) (has|has no) branch (\S+)/,
    'looks for refs/heads/BRANCH in the repository $DATADIR/DIR',
    async (ctx, dir, verb, branch) => {
      const found = await ctx.run(['git', 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
        cwd: ctx.path(dir),
      });
      check(
        (found.exitCode === 0) === (verb === 'has'),
        `${dir} ${verb === 'has' ? 'lacks' : 'has'} branch ${branch}`,
      );
    },
  ),
  step(
    'THEN',
    /the output of morph --version is the version of this morph/,
    'compares $DATADIR/out---version with the version package.json gives (what image metadata records)',
    async (ctx) => {
      const pkg = JSON.parse(await readFile(join(ctx.srcdir, 'package.json'), 'utf8')) as { version: string };
      const out = await readFile(ctx.path('out---version'), 'utf8');
      check(out === `${pkg.version}\n`, `morph --version printed ${JSON.stringify(out)}, not ${pkg.version}`);
    },
  ),
];
