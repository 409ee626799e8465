import assert from 'node:assert/strict';
import { test } from 'node:test';
import { morphologyPathInRoot } from './cluster-path.js';
import { joinNestedLocation } from './nested-location.js';

test('nested locations join the parent tree and cannot escape it', () => {
  assert.equal(joinNestedLocation('/t/tree', 'var/lib/sysroots/s'), '/t/tree/var/lib/sysroots/s');
  assert.equal(joinNestedLocation('/t/tree', '/boot/initramfs.gz'), '/t/tree/boot/initramfs.gz');
  assert.equal(joinNestedLocation('/t/tree', 'a/../b'), '/t/tree/b');
  for (const bad of ['../x', 'a/../../x', '/', '.', '']) {
    assert.throws(() => joinNestedLocation('/t/tree', bad), { code: 'deploy/location-escapes-tree' });
  }
});

test('cluster paths are made relative to the root checkout', () => {
  const root = '/ws/master/test/morphs';
  const clusters = `${root}/clusters`;
  assert.equal(morphologyPathInRoot('test-cluster.morph', clusters, root), 'clusters/test-cluster.morph');
  assert.equal(morphologyPathInRoot('test-cluster', clusters, root), 'clusters/test-cluster.morph');
  assert.equal(
    morphologyPathInRoot('../clusters/test-cluster.morph', clusters, root),
    'clusters/test-cluster.morph',
  );
  assert.equal(
    morphologyPathInRoot(`${clusters}/test-cluster.morph`, '/', root),
    'clusters/test-cluster.morph',
  );
  assert.equal(
    morphologyPathInRoot('clusters/test-cluster.morph', root, root),
    'clusters/test-cluster.morph',
  );
  assert.throws(() => morphologyPathInRoot('../x.morph', root, root), { code: 'deploy/outside-definitions' });
});
