import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCommand } from '../../shared/exec.js';
import type { BuildApp } from '../build/graph/build-app.js';
import { prepareBuildBranch } from './build-branch.js';
import { SystemBranch } from './system-branch.js';

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@example.com',
};
const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (await runCommand(['git', ...args], { cwd, env })).stdout.trim();

async function repo(
  dir: string,
  name: string,
  files: Record<string, string>,
  upstream: boolean,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '-q', '-b', 'master');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'initial');
  await git(dir, 'config', 'morph.repository', name);
  await git(dir, 'config', 'morph.uuid', name === 'test:morphs' ? 'a'.repeat(32) : 'b'.repeat(32));
  if (upstream) {
    await git(dir, 'remote', 'add', 'origin', join(dir, 'no-such-upstream'));
    await git(dir, 'update-ref', 'refs/remotes/origin/master', 'HEAD');
    await git(dir, 'config', 'branch.master.remote', 'origin');
    await git(dir, 'config', 'branch.master.merge', 'refs/heads/master');
  }
}

/** The part of BuildApp that prepareBuildBranch uses, with its scratch area under `top`. */
async function buildApp(top: string): Promise<BuildApp> {
  await mkdir(join(top, 'tmp'));
  return {
    settings: { tempdir: join(top, 'tmp'), 'build-ref-prefix': 'baserock/builds' },
    runApp: (argv: readonly string[], options?: object) => runCommand(argv, { env, ...options }),
  } as unknown as BuildApp;
}

const STRATUM = `name: core
kind: stratum
build-depends: []
chunks:
- name: c
  repo: test:c
  ref: master
  build-depends: []
`;

test('temporary build branches hold uncommitted changes and point specs at them', async () => {
  const top = await mkdtemp(join(tmpdir(), 'build-branch-'));
  try {
    const sb = join(top, 'ws', 'master');
    await mkdir(join(sb, '.morph-system-branch'), { recursive: true });
    const morphs = join(sb, 'test', 'morphs');
    const chunk = join(sb, 'test', 'c');
    await repo(morphs, 'test:morphs', { 'strata/core.morph': STRATUM }, true);
    await repo(chunk, 'test:c', { 'file.txt': 'old\n' }, true);
    const branch = new SystemBranch(sb, { name: 'master', rootRepo: 'test:morphs', uuid: 'c'.repeat(32) });
    const app = await buildApp(top);

    const clean = await prepareBuildBranch(app, branch, { push: false });
    assert.equal(clean.repo, 'test:morphs', 'nothing to commit: build the branch itself');
    assert.equal(clean.commit, await git(morphs, 'rev-parse', 'HEAD'));

    await writeFile(join(chunk, 'file.txt'), 'new\n');
    const built = await prepareBuildBranch(app, branch, { push: false });
    const chunkRef = `refs/heads/baserock/builds/${'c'.repeat(32)}/${'b'.repeat(32)}`;
    assert.equal(built.repo, `file://${morphs}`);
    assert.equal(built.ref, `refs/heads/baserock/builds/${'c'.repeat(32)}/${'a'.repeat(32)}`);
    assert.equal(await git(chunk, 'show', `${chunkRef}:file.txt`), 'new');
    const stratum = await git(morphs, 'show', `${built.commit}:strata/core.morph`);
    assert.match(stratum, new RegExp(`repo: file://${chunk}`));
    assert.match(stratum, new RegExp(`ref: ${chunkRef}`));
    assert.equal(await git(chunk, 'status', '--porcelain'), 'M file.txt', 'the working tree is untouched');

    const again = await prepareBuildBranch(app, branch, { push: false });
    assert.equal(again.commit, built.commit, 'an unchanged tree reuses the build commit');

    // An untracked morphology is staged too, re-serialised like every other one.
    await mkdir(join(morphs, 'strata', 'more'));
    await writeFile(
      join(morphs, 'strata', 'more', 'new.morph'),
      `{name: more, kind: stratum, build-depends: [], chunks: [{name: c, repo: "test:c", ref: master, build-depends: []}]}`,
    );
    const withNew = await prepareBuildBranch(app, branch, { push: false });
    const added = await git(morphs, 'show', `${withNew.commit}:strata/more/new.morph`);
    assert.match(added, /^name: more\n/);
    assert.match(added, new RegExp(`ref: ${chunkRef}`));
    assert.equal(await git(morphs, 'show', `${withNew.commit}:strata/core.morph`), stratum);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('two builds of one system branch at once both get the same temporary build commit', async () => {
  const top = await mkdtemp(join(tmpdir(), 'build-branch-'));
  try {
    const sb = join(top, 'ws', 'master');
    await mkdir(join(sb, '.morph-system-branch'), { recursive: true });
    const morphs = join(sb, 'test', 'morphs');
    await repo(morphs, 'test:morphs', { 'strata/core.morph': STRATUM }, true);
    await writeFile(join(morphs, 'strata', 'core.morph'), `${STRATUM}description: changed\n`);
    const branch = new SystemBranch(sb, { name: 'master', rootRepo: 'test:morphs', uuid: 'c'.repeat(32) });
    const app = await buildApp(top);

    const results = await Promise.all([1, 2, 3].map(() => prepareBuildBranch(app, branch, { push: false })));
    const trees = await Promise.all(results.map((r) => git(morphs, 'rev-parse', `${r.commit}^{tree}`)));
    assert.equal(new Set(trees).size, 1, 'every build sees the same tree');
    const ref = await git(morphs, 'rev-parse', results[0]!.ref);
    assert.ok(
      results.some((r) => r.commit === ref),
      'the build ref points at a commit one of them builds',
    );
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
