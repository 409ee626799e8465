import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { joinNestedLocation } from './nested-location.js';

test('nested locations join the parent tree and cannot escape it', () => {
  assert.equal(joinNestedLocation('/t/tree', 'var/lib/sysroots/s'), '/t/tree/var/lib/sysroots/s');
  assert.equal(joinNestedLocation('/t/tree', '/boot/initramfs.gz'), '/t/tree/boot/initramfs.gz');
  assert.equal(joinNestedLocation('/t/tree', 'a/../b'), '/t/tree/b');
  for (const bad of ['../x', 'a/../../x', '/', '.', '']) {
    assert.throws(() => joinNestedLocation('/t/tree', bad), { code: 'deploy/location-escapes-tree' });
  }
});

test('a location through a symlink that leaves the parent tree is refused; one that stays inside is followed', async () => {
  const top = await mkdtemp(join(tmpdir(), 'nested-location-'));
  try {
    const tree = join(top, 'tree');
    await mkdir(join(tree, 'srv'), { recursive: true });
    await mkdir(join(top, 'host'));
    await symlink(join(top, 'host'), join(tree, 'escape'));
    await symlink('../../host', join(tree, 'srv', 'up'));
    await symlink('srv', join(tree, 'data'));
    for (const bad of ['escape/inner', '/escape/inner', 'srv/up/inner', 'escape']) {
      assert.throws(() => joinNestedLocation(tree, bad), { code: 'deploy/location-escapes-tree' }, bad);
    }
    assert.equal(joinNestedLocation(tree, 'data/sysroot'), join(tree, 'srv', 'sysroot'));
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
