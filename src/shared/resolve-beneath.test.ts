import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PathEscapeError, resolveBeneath } from './resolve-beneath.js';

async function tree(): Promise<{ top: string; root: string }> {
  const top = await mkdtemp(join(tmpdir(), 'beneath-'));
  const root = join(top, 'root');
  await mkdir(join(root, 'usr', 'lib'), { recursive: true });
  await mkdir(join(top, 'host'));
  await symlink('usr/lib', join(root, 'lib'));
  await symlink(join(top, 'host'), join(root, 'escape'));
  await symlink('../../host', join(root, 'usr', 'up'));
  await symlink('../host', join(root, 'climb'));
  await symlink('loop2', join(root, 'loop1'));
  await symlink('loop1', join(root, 'loop2'));
  return { top, root };
}

test('paths inside the tree resolve, following symlinks that stay inside', async () => {
  const { top, root } = await tree();
  try {
    assert.equal(resolveBeneath(root, 'lib/sysroots/a'), join(root, 'usr/lib/sysroots/a'));
    assert.equal(resolveBeneath(root, '/var/lib/x'), join(root, 'var/lib/x'));
    assert.equal(resolveBeneath(root, 'usr/./lib/../lib'), join(root, 'usr/lib'));
    assert.equal(resolveBeneath(root, ''), root);
    assert.equal(resolveBeneath(root, 'escape', { followFinal: false }), join(root, 'escape'));
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('symlinks, .. and absolute targets that leave the tree are refused', async () => {
  const { top, root } = await tree();
  try {
    for (const path of [
      'escape/inner',
      'escape',
      '../x',
      'usr/../../x',
      'usr/up/x',
      'climb/x',
      'loop1/x',
      'lib/../../../x',
    ]) {
      assert.throws(
        () => resolveBeneath(root, path),
        (err: unknown) => err instanceof PathEscapeError && err.code === 'path/escapes-tree',
        path,
      );
    }
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
