import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCommand } from '../../shared/exec.js';
import { escapeRepoUrl } from './escape-repo-url.js';
import { GitCache } from './git-cache.js';
import { RepoAliasResolver } from './repo-alias.js';

function setup(options: { noGitUpdate?: boolean; tarballServer?: string } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'morph-gitcache-'));
  const upstream = join(root, 'upstream', 'repo');
  mkdirSync(upstream, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: upstream })
      .toString()
      .trim();
  git('init', '-q', '-b', 'master');
  mkdirSync(join(upstream, 'dir'));
  writeFileSync(join(upstream, 'dir', 'file'), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(upstream, 'top'), 'top\n');
  git('add', '.');
  git('commit', '-qm', 'one');
  git('tag', 'v1');
  const statuses: string[] = [];
  const commands: string[] = [];
  const makeCache = (more: { tarballServer?: string; cachedir?: string } = {}) =>
    new GitCache({
      cachedir: more.cachedir ?? join(root, 'cache'),
      tarballServer: more.tarballServer ?? options.tarballServer ?? 'http://[]/tarballs/',
      noGitUpdate: options.noGitUpdate ?? false,
      aliases: new RepoAliasResolver([
        { prefix: 'up', pull: `${root}/upstream/%s`, push: `${root}/upstream/%s` },
      ]),
      status: { normal: (m) => statuses.push(m), chatty: (m) => statuses.push(m) },
      runApp: (argv, opts) => {
        commands.push(argv.join(' '));
        return runCommand(argv, opts);
      },
    });
  const cache = makeCache();
  return { root, upstream, git, cache, makeCache, statuses, commands };
}

describe('GitCache', () => {
  it('mirrors aliased repos under <cachedir>/gits/<escaped URL>', async () => {
    const { root, cache, git } = setup();
    const expected = join(root, 'cache', 'gits', escapeRepoUrl(`${root}/upstream/repo`));
    assert.equal(cache.mirrorPath('up:repo'), expected);
    assert.equal(cache.hasRepo('up:repo'), false);
    const repo = await cache.getRepo('up:repo');
    assert.equal(repo.path, expected);
    assert.equal(repo.url, `${root}/upstream/repo`);
    assert.ok(existsSync(join(expected, 'HEAD')));
    const head = git('rev-parse', 'HEAD');
    assert.deepEqual(await cache.resolveRef('up:repo', 'master'), {
      commit: head,
      tree: git('rev-parse', 'HEAD^{tree}'),
    });
    assert.equal((await cache.resolveRef('up:repo', 'v1')).commit, head);
    assert.equal((await cache.resolveRef('up:repo', head)).commit, head);
  });

  it('falls back quietly from an unreachable tarball server to git clone', async () => {
    const { cache, statuses, commands } = setup();
    await cache.getRepo('up:repo');
    assert.ok(commands.some((c) => c.startsWith('nice -n 10 git clone --mirror -n')));
    assert.ok(statuses.some((s) => s.includes('tarballs')));
  });

  it('seeds a mirror from a file:// tarball server', async () => {
    const { root, upstream, makeCache, commands } = setup();
    const tarballs = join(root, 'tarballs');
    mkdirSync(tarballs);
    const bare = join(root, 'bare');
    execFileSync('git', ['clone', '-q', '--mirror', upstream, bare]);
    execFileSync('tar', [
      'cf',
      join(tarballs, `${escapeRepoUrl(`${root}/upstream/repo`)}.tar`),
      '-C',
      bare,
      '.',
    ]);
    const cache = makeCache({ tarballServer: `file://${tarballs}/`, cachedir: join(root, 'seeded') });
    const repo = await cache.getRepo('up:repo');
    assert.ok(!commands.some((c) => c.includes('git clone')));
    assert.ok(commands.some((c) => c.startsWith('tar xf')));
    const config = (key: string) =>
      execFileSync('git', ['config', key], { cwd: repo.path }).toString().trim();
    assert.equal(config('remote.origin.url'), repo.url);
    assert.equal(config('remote.origin.fetch'), '+refs/*:refs/*');
    assert.equal((await cache.resolveRef('up:repo', 'v1')).commit.length, 40);
  });

  it('reads files and lists trees at a commit', async () => {
    const { cache, git } = setup();
    const head = git('rev-parse', 'HEAD');
    assert.deepEqual(await cache.readFile('up:repo', head, 'dir/file'), Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(await cache.listFiles('up:repo', head), ['dir/file', 'top']);
    assert.deepEqual(await cache.listTopLevel('up:repo', head), ['dir', 'top']);
    await assert.rejects(cache.readFile('up:repo', head, 'missing'), { code: 'sources/file-not-found' });
    await assert.rejects(cache.readFile('up:repo', head, 'dir'), { code: 'sources/file-not-found' });
    await assert.rejects(cache.listTopLevel('up:repo', 'f'.repeat(40)), { code: 'sources/invalid-ref' });
  });

  it('updates before resolving a branch, but not for a SHA-1 already mirrored', async () => {
    const { cache, git, commands, makeCache } = setup();
    const first = git('rev-parse', 'HEAD');
    await cache.getRepo('up:repo');
    git('commit', '-q', '--allow-empty', '-m', 'two');
    const second = git('rev-parse', 'HEAD');
    const updates = () => commands.filter((c) => c === 'nice -n 10 git remote update --prune').length;

    const known = makeCache();
    assert.equal((await known.resolveCurrentRef('up:repo', first)).commit, first);
    assert.equal(updates(), 0, 'a mirrored SHA-1 cannot have moved');
    assert.equal((await known.resolveCurrentRef('up:repo', second)).commit, second);
    assert.equal(updates(), 1, 'a SHA-1 not mirrored yet is fetched');

    const branch = makeCache();
    git('commit', '-q', '--allow-empty', '-m', 'three');
    assert.equal((await branch.resolveCurrentRef('up:repo', 'master')).commit, git('rev-parse', 'HEAD'));
    assert.equal((await branch.resolveCurrentRef('up:repo', 'master')).commit, git('rev-parse', 'HEAD'));
    assert.equal(updates(), 2, 'a branch is fetched once per process');
    await assert.rejects(branch.resolveCurrentRef('up:repo', 'nosuch'), { code: 'sources/invalid-ref' });
  });

  it('updates once per process, and never under no-git-update', async () => {
    const { cache, git, commands, makeCache } = setup();
    await cache.getRepo('up:repo');
    git('commit', '-q', '--allow-empty', '-m', 'two');
    const fresh = makeCache();
    assert.equal(await fresh.requiresUpdate('up:repo', 'master'), true);
    await fresh.getUpdatedRepo('up:repo');
    await fresh.getUpdatedRepo('up:repo');
    assert.equal(commands.filter((c) => c === 'nice -n 10 git remote update --prune').length, 1);
    assert.equal((await fresh.resolveRef('up:repo', 'master')).commit, git('rev-parse', 'HEAD'));
    assert.equal(await fresh.requiresUpdate('up:repo', 'master'), false);

    const frozen = setup({ noGitUpdate: true });
    await frozen.cache.getUpdatedRepo('up:repo');
    assert.ok(!frozen.commands.includes('nice -n 10 git remote update --prune'));
  });

  it('resolves a SHA-1 resolved in an earlier run without git, if the mirror has it', async () => {
    const { root, cache, git, makeCache } = setup();
    const head = git('rev-parse', 'HEAD');
    const tree = git('rev-parse', 'HEAD^{tree}');
    assert.deepEqual(await cache.resolveCurrentRef('up:repo', head), { commit: head, tree });
    git('commit', '-q', '--allow-empty', '-m', 'two');
    const two = git('rev-parse', 'HEAD');
    const other = makeCache({ cachedir: join(root, 'other') });
    assert.equal((await other.resolveCurrentRef('up:repo', two)).commit, two);
    // The first mirror lacks `two`, though its memo (given the other cache's) knows its tree.
    const memo = join(root, 'cache', 'gits', 'commit-trees');
    appendFileSync(memo, readFileSync(join(root, 'other', 'gits', 'commit-trees')));
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.deepEqual(await makeCache().resolveCurrentRef('up:repo', head), { commit: head, tree });
      await assert.rejects(makeCache().tryResolveRef('up:repo', two), { code: 'sources/git-failed' });
    } finally {
      process.env.PATH = path;
    }
    assert.equal(await makeCache().tryResolveRef('up:repo', two), undefined);
  });

  it('uses file:// repositories in place', async () => {
    const { root, upstream, cache, git, commands } = setup();
    const name = `file://${upstream}`;
    assert.equal(cache.mirrorPath(name), upstream);
    await cache.getUpdatedRepo(name);
    assert.deepEqual(commands, []);
    assert.equal((await cache.resolveRef(name, 'master')).commit, git('rev-parse', 'HEAD'));
    await cache.resolveRef(name, git('rev-parse', 'HEAD'));
    assert.equal(existsSync(join(root, 'cache', 'gits', 'commit-trees')), false, 'nothing remembered');
  });

  it('reports missing repos and refs', async () => {
    const { cache, root } = setup();
    await assert.rejects(cache.getRepo('up:nosuch'), { code: 'sources/no-remote-repo' });
    assert.equal(existsSync(join(root, 'cache', 'gits', escapeRepoUrl(`${root}/upstream/nosuch`))), false);
    await assert.rejects(cache.getRepo('file:///nonexistent/repo'), { code: 'sources/no-remote-repo' });
    await assert.rejects(cache.resolveRef('up:repo', 'nosuch'), { code: 'sources/invalid-ref' });
    assert.equal(await cache.tryResolveRef('up:repo', 'nosuch'), undefined);
  });
});

describe('GitCache concurrency', () => {
  it('clones and updates once for concurrent callers', async () => {
    const { cache, commands } = setup();
    await Promise.all([cache.getRepo('up:repo'), cache.getRepo('up:repo'), cache.getRepo('up:repo')]);
    assert.equal(commands.filter((c) => c.startsWith('nice -n 10 git clone')).length, 1);
  });
});
