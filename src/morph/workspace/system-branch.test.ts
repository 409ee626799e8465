import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSystemBranch, removeSystemBranch } from './create-system-branch.js';
import { findWorkspace, locateWorkspace } from './find-workspace.js';
import { findSystemBranch, listSystemBranches } from './system-branch.js';

function workspace() {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'morph-ws-')));
  mkdirSync(join(root, '.morph'));
  return { root };
}

function fakeCheckout(dir: string, repo?: string, uuid?: string) {
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: dir });
  if (repo) execFileSync('git', ['config', 'morph.repository', repo], { cwd: dir });
  if (uuid) execFileSync('git', ['config', 'morph.uuid', uuid], { cwd: dir });
}

describe('findWorkspace', () => {
  it('walks up to the directory with .morph', () => {
    const ws = workspace();
    mkdirSync(join(ws.root, 'a', 'b'), { recursive: true });
    assert.equal(findWorkspace(join(ws.root, 'a', 'b')).root, ws.root);
    assert.equal(locateWorkspace(join(ws.root, 'not', 'yet'))?.root, ws.root);
  });
  it('fails outside any workspace', () => {
    assert.throws(() => findWorkspace(realpathSync(tmpdir())), { code: 'workspace/not-in-workspace' });
  });
});

describe('system branches', () => {
  it('are created with a git-config file and found from inside and from above', async () => {
    const ws = workspace();
    const made = await createSystemBranch(ws, 'baserock/test', 'test:morphs');
    assert.equal(made.dir, join(ws.root, 'baserock', 'test'));
    assert.match(made.uuid, /^[0-9a-f]{32}$/);
    const config = (key: string) =>
      execFileSync('git', ['config', '-f', made.configFile, key]).toString().trim();
    assert.equal(config('branch.name'), 'baserock/test');
    assert.equal(config('branch.root'), 'test:morphs');
    assert.equal(config('branch.uuid'), made.uuid);

    fakeCheckout(join(made.dir, 'test', 'morphs'), 'test:morphs');
    const inside = await findSystemBranch(join(made.dir, 'test', 'morphs'));
    assert.equal(inside.name, 'baserock/test');
    assert.equal(inside.rootRepo, 'test:morphs');
    assert.equal(inside.uuid, made.uuid);
    assert.equal((await findSystemBranch(ws.root)).dir, made.dir);
    assert.equal(await inside.rootCheckoutDir(), join(made.dir, 'test', 'morphs'));

    await createSystemBranch(ws, 'master', 'test:morphs');
    await assert.rejects(findSystemBranch(ws.root), { code: 'workspace/not-in-system-branch' });
    assert.deepEqual(
      (await listSystemBranches(ws.root)).map((b) => b.name),
      ['baserock/test', 'master'],
    );
  });

  it('refuse an existing directory and leave it untouched', async () => {
    const ws = workspace();
    mkdirSync(join(ws.root, 'master'));
    writeFileSync(join(ws.root, 'master', 'keep'), 'x');
    await assert.rejects(createSystemBranch(ws, 'master', 'r'), { code: 'workspace/file-exists' });
    assert.deepEqual(readdirSync(join(ws.root, 'master')), ['keep']);
  });

  it('are removed with their empty parents, but not the workspace', async () => {
    const ws = workspace();
    await createSystemBranch(ws, 'baserock/deep/branch', 'r');
    mkdirSync(join(ws.root, 'baserock', 'other'));
    await removeSystemBranch(ws, join(ws.root, 'baserock', 'deep', 'branch'));
    assert.deepEqual(readdirSync(join(ws.root, 'baserock')), ['other']);
    await createSystemBranch(ws, 'solo', 'r');
    await removeSystemBranch(ws, join(ws.root, 'solo'));
    assert.ok(existsSync(join(ws.root, '.morph')));
    assert.deepEqual(readdirSync(ws.root).sort(), ['.morph', 'baserock']);
  });

  it('list checkouts in path order and find checkouts by morph.repository', async () => {
    const ws = workspace();
    const branch = await createSystemBranch(ws, 'b', 'test:morphs');
    fakeCheckout(join(branch.dir, 'z', 'elsewhere'), 'test:morphs', 'f'.repeat(32));
    fakeCheckout(join(branch.dir, 'a', 'plain'));
    fakeCheckout(join(branch.dir, 'z', 'elsewhere', 'nested'), 'nested');
    const checkouts = await branch.checkouts();
    assert.deepEqual(
      checkouts.map((c) => [c.dir, c.repo, c.uuid]),
      [
        [join(branch.dir, 'a', 'plain'), undefined, undefined],
        [join(branch.dir, 'z', 'elsewhere'), 'test:morphs', 'f'.repeat(32)],
      ],
    );
    assert.equal(await branch.rootCheckoutDir(), join(branch.dir, 'z', 'elsewhere'));
    assert.equal(await branch.checkoutDirFor('test:chunk'), join(branch.dir, 'test', 'chunk'));
  });
});
