/**
 * Turns the source trees under `$SRCDIR/fixtures` into the test
 * repositories of docs/spec/morph.md section 10, in `$DATADIR/gits/<name>`:
 *
 * - `bootstrap-chunk`: branch `bootstrap` = the test shell's C source, a
 *   `#!/bin/true` configure and a Makefile building it statically; branch
 *   `master` = only `bin/sh`, the same shell compiled here with the host gcc.
 * - `test-chunk`: files in every place the default split rules look at.
 * - `morphs`: the definitions, with `@ARCH@` and `@SHA:<repo>:<ref>@`
 *   placeholders filled in; tag `test-tag`.
 *
 * With `boot`, also the repositories of the bootable test system and its
 * definitions (`fixtures/boot-system/`, boot-fixture-repos.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StepContext, StepFailure } from '../src/yarn/api.js';
import { createBootRepos } from './boot-fixture-repos.js';
import { runChecked } from './context.js';

/** The git identity used by the suite (in `$HOME/.gitconfig`). */
export const TEST_GIT_USER = { name: 'Morph Tester', email: 'morph-tester@example.com' };

/** Gives the scenario's `$HOME` a git identity (idempotent). */
export async function ensureGitIdentity(ctx: StepContext): Promise<void> {
  await mkdir(ctx.home, { recursive: true });
  await writeFile(
    join(ctx.home, '.gitconfig'),
    `[user]\n\tname = ${TEST_GIT_USER.name}\n\temail = ${TEST_GIT_USER.email}\n`,
  );
}

/**
 * Creates `$DATADIR/gits/{bootstrap-chunk,test-chunk,morphs}` (with `boot`,
 * also the bootable test system's repositories and definitions); returns
 * the gits directory.
 */
export async function createFixtureRepos(
  ctx: StepContext,
  arch: string,
  options: { boot?: boolean } = {},
): Promise<string> {
  const fixtures = join(ctx.srcdir, 'fixtures');
  const gits = ctx.path('gits');
  await mkdir(gits, { recursive: true });
  await Promise.all([
    createBootstrapChunk(ctx, fixtures, join(gits, 'bootstrap-chunk')),
    createTreeRepo(ctx, join(fixtures, 'test-chunk'), join(gits, 'test-chunk'), 'Add test chunk files'),
    ...(options.boot ? [createBootRepos(ctx, gits)] : []),
  ]);
  const morphs = join(gits, 'morphs');
  await createTreeRepo(ctx, join(fixtures, 'morphs'), morphs, 'Add definitions', async () => {
    if (options.boot) {
      await runChecked(ctx, ['cp', '-a', `${join(fixtures, 'boot-system', 'morphs')}/.`, morphs]);
    }
    await fillPlaceholders(ctx, morphs, gits, arch);
  });
  await git(ctx, morphs, 'tag', '-a', 'test-tag', '-m', 'Tagging test-tag');
  return gits;
}

async function createBootstrapChunk(ctx: StepContext, fixtures: string, repo: string): Promise<void> {
  await git(ctx, ctx.datadir, 'init', '-q', '-b', 'bootstrap', repo);
  await runChecked(ctx, ['cp', '-a', `${join(fixtures, 'bootstrap-chunk', 'bootstrap')}/.`, repo]);
  await runChecked(ctx, ['cp', join(fixtures, 'test-shell', 'test-shell.c'), join(repo, 'test-shell.c')]);
  await git(ctx, repo, 'add', '.');
  await git(ctx, repo, 'commit', '-q', '-m', 'Add bootstrap shell');

  // master: pretend a better shell was built, shipping only the binary.
  const built = await compiledTestShell(ctx, join(repo, 'test-shell.c'));
  await git(ctx, repo, 'checkout', '-q', '--orphan', 'master');
  await git(ctx, repo, 'rm', '-q', '-r', '-f', '.');
  await mkdir(join(repo, 'bin'));
  await copyFile(built, join(repo, 'bin', 'sh'));
  await chmod(join(repo, 'bin', 'sh'), 0o755);
  await git(ctx, repo, 'add', 'bin/sh');
  await git(ctx, repo, 'commit', '-q', '-m', 'Add prebuilt shell');
}

/** Compiled shells by source hash: compiling costs ~0.5 s, so each process does it once. */
const compiled = new Map<string, Promise<string>>();
let compileDir: string | undefined;

/** The test shell compiled statically with the host gcc (cached for this process). */
async function compiledTestShell(ctx: StepContext, source: string): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(source))
    .digest('hex');
  let binary = compiled.get(hash);
  if (!binary) {
    binary = (async () => {
      if (!compileDir) {
        const dir = await mkdtemp(join(tmpdir(), 'test-shell-'));
        compileDir = dir;
        process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      }
      const output = join(compileDir, `sh-${hash}`);
      await runChecked(ctx, ['gcc', '-O2', '-static', '-o', output, source]);
      return output;
    })();
    compiled.set(hash, binary);
    binary.catch(() => compiled.delete(hash));
  }
  const path = await binary;
  if (!existsSync(path)) {
    compiled.delete(hash);
    return compiledTestShell(ctx, source);
  }
  return path;
}

async function createTreeRepo(
  ctx: StepContext,
  tree: string,
  repo: string,
  message: string,
  prepare?: () => Promise<void>,
): Promise<void> {
  await git(ctx, ctx.datadir, 'init', '-q', '-b', 'master', repo);
  await runChecked(ctx, ['cp', '-a', `${tree}/.`, repo]);
  await prepare?.();
  await git(ctx, repo, 'add', '.');
  await git(ctx, repo, 'commit', '-q', '-m', message);
}

/** Replaces `@ARCH@` and `@SHA:<repo>:<ref>@` in every `.morph` file under `dir`. */
async function fillPlaceholders(ctx: StepContext, dir: string, gits: string, arch: string): Promise<void> {
  for (const file of await morphFiles(dir)) {
    const text = await readFile(file, 'utf8');
    let filled = text.replaceAll('@ARCH@', arch);
    for (const match of text.matchAll(/@SHA:([\w.-]+):([\w./-]+)@/g)) {
      const [placeholder, repo, ref] = match as unknown as [string, string, string];
      const sha = (await git(ctx, join(gits, repo), 'rev-parse', '--verify', `${ref}^{commit}`)).trim();
      filled = filled.replaceAll(placeholder, sha);
    }
    if (/@[A-Z]+[:@]/.test(filled)) throw new StepFailure(`unfilled placeholder in fixture ${file}`);
    if (filled !== text) await writeFile(file, filled);
  }
}

async function morphFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== '.git') found.push(...(await morphFiles(path)));
    else if (entry.isFile() && entry.name.endsWith('.morph')) found.push(path);
  }
  return found;
}

async function git(ctx: StepContext, cwd: string, ...args: string[]): Promise<string> {
  return (await runChecked(ctx, ['git', ...args], { cwd })).stdout;
}
