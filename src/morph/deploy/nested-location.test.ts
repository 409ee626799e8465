import assert from 'node:assert/strict';
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
