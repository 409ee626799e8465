import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createApp } from '../app.js';
import { loadSettings } from '../settings/load-settings.js';
import { createBranchCheckout } from './create-branch-checkout.js';

async function setup() {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'morph-clone-')));
  const upstream = join(root, 'gits', 'morphs');
  mkdirSync(upstream, { recursive: true });
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd })
      .toString()
      .trim();
  git(upstream, 'init', '-q', '-b', 'master');
  writeFileSync(join(upstream, 'a.morph'), 'name: a\n');
  git(upstream, 'add', '.');
  git(upstream, 'commit', '-qm', 'one');
  git(upstream, 'tag', 'v1');
  const { settings } = await loadSettings(
    [
      '--no-default-configs',
      `--repo-alias=test=${root}/gits/%s#ssh://push.example/%s`,
      `--cachedir=${root}/cache`,
      '--tarball-server=file:///nonexistent/',
    ],
    { env: { HOME: root }, cwd: root, cpus: 1 },
  );
  const app = createApp(
    settings,
    { stdout: () => {}, stderr: () => {}, log: { debug: () => {}, raw: () => {} } },
    { cwd: root, signal: new AbortController().signal },
  );
  const ws = { root: join(root, 'ws') };
  mkdirSync(join(ws.root, '.morph'), { recursive: true });
  await app.gitCache.getUpdatedRepo('test:morphs');
  return { root, upstream, git, app, ws };
}

describe('createBranchCheckout', () => {
  it('clones a branch that tracks origin, with the morph git config', async () => {
    const { app, ws, git, root } = await setup();
    const branch = await createBranchCheckout(app, ws, {
      name: 'master',
      repo: 'test:morphs',
      ref: 'master',
    });
    const dir = join(ws.root, 'master', 'test', 'morphs');
    assert.equal(await branch.rootCheckoutDir(), dir);
    assert.equal(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'master');
    assert.equal(git(dir, 'rev-parse', '--abbrev-ref', 'master@{upstream}'), 'origin/master');
    assert.equal(git(dir, 'config', 'morph.repository'), 'test:morphs');
    assert.match(git(dir, 'config', 'morph.uuid'), /^[0-9a-f]{32}$/);
    assert.equal(git(dir, 'config', 'remote.origin.url'), `${root}/gits/morphs`);
    assert.equal(git(dir, 'config', 'url.ssh://push.example/morphs.pushInsteadOf'), `${root}/gits/morphs`);
  });

  it('makes a local branch without upstream at a SHA or tag', async () => {
    const { app, ws, git, upstream } = await setup();
    const sha = git(upstream, 'rev-parse', 'HEAD');
    await createBranchCheckout(app, ws, { name: 'mine', repo: 'test:morphs', ref: sha, localBranch: 'mine' });
    const dir = join(ws.root, 'mine', 'test', 'morphs');
    assert.equal(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'mine');
    assert.equal(git(dir, 'rev-parse', 'HEAD'), sha);
    assert.throws(() => git(dir, 'rev-parse', '--abbrev-ref', 'mine@{upstream}'));
    await createBranchCheckout(app, ws, { name: 'v1', repo: 'test:morphs', ref: 'v1' });
    assert.equal(git(join(ws.root, 'v1', 'test', 'morphs'), 'rev-parse', '--abbrev-ref', 'HEAD'), 'HEAD');
  });

  it('removes the half-made branch directory when the clone fails', async () => {
    const { app, ws } = await setup();
    await assert.rejects(
      createBranchCheckout(app, ws, { name: 'deep/broken', repo: 'test:morphs', ref: 'no-such-ref' }),
      { code: 'COMMAND_FAILED' },
    );
    assert.deepEqual(execFileSync('ls', ['-A', ws.root]).toString().split('\n').filter(Boolean), ['.morph']);
  });

  it('initialises submodules with alias-expanded URLs', async () => {
    const { app, ws, git, root, upstream } = await setup();
    const sub = join(root, 'gits', 'sub');
    mkdirSync(sub);
    git(sub, 'init', '-q', '-b', 'master');
    writeFileSync(join(sub, 'inside'), 'x\n');
    git(sub, 'add', '.');
    git(sub, 'commit', '-qm', 'sub');
    writeFileSync(join(upstream, '.gitmodules'), '[submodule "sub"]\n\tpath = sub\n\turl = test:sub\n');
    git(upstream, 'update-index', '--add', '--cacheinfo', `160000,${git(sub, 'rev-parse', 'HEAD')},sub`);
    git(upstream, 'add', '.gitmodules');
    git(upstream, 'commit', '-qm', 'add submodule');
    git(upstream, 'branch', 'with-sub');
    // Local paths stand in for git:// URLs here; git refuses file transport for submodules by default.
    process.env.GIT_CONFIG_COUNT = '1';
    process.env.GIT_CONFIG_KEY_0 = 'protocol.file.allow';
    process.env.GIT_CONFIG_VALUE_0 = 'always';
    try {
      // A new App: the mirror was already updated once by this process.
      const fresh = createApp(
        app.settings,
        { stdout: () => {}, stderr: () => {}, log: app.log },
        {
          cwd: root,
          signal: new AbortController().signal,
        },
      );
      await fresh.gitCache.getUpdatedRepo('test:morphs');
      await createBranchCheckout(fresh, ws, { name: 'with-sub', repo: 'test:morphs', ref: 'with-sub' });
    } finally {
      delete process.env.GIT_CONFIG_COUNT;
      delete process.env.GIT_CONFIG_KEY_0;
      delete process.env.GIT_CONFIG_VALUE_0;
    }
    const dir = join(ws.root, 'with-sub', 'test', 'morphs');
    assert.equal(git(dir, 'config', 'submodule.sub.url'), `${root}/gits/sub`);
    assert.ok(existsSync(join(dir, 'sub', 'inside')));
  });
});
