import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEPLOY_LAYER_VARIABLES,
  deployLayerEnvironment,
  findOverlayMount,
  isDeployLayerVariable,
  overlayMismatch,
  readDeployLayers,
} from './deploy-layers.js';

const layers = {
  lower: '/c/deploy-checkouts/abc/tree',
  upper: '/t/deploy-x/upper',
  cache: '/c/deploy-checkouts/abc',
};

const mountinfo = (target: string, fstype: string, options: string) =>
  `22 1 0:21 / /proc rw,nosuid - proc proc rw\n46 27 0:60 / ${target} rw,relatime - ${fstype} o ${options}\n`;

test('the layers go to the extension as three MORPH_DEPLOY_* variables and come back the same', () => {
  const env = deployLayerEnvironment(layers);
  assert.deepEqual(Object.keys(env).sort(), [
    'MORPH_DEPLOY_CACHE',
    'MORPH_DEPLOY_LOWER',
    'MORPH_DEPLOY_UPPER',
  ]);
  assert.deepEqual(readDeployLayers(env), layers);
  assert.equal(readDeployLayers({ ...env, [DEPLOY_LAYER_VARIABLES.upper]: '' }), undefined);
  assert.equal(readDeployLayers({}), undefined);
  assert.ok(isDeployLayerVariable('MORPH_DEPLOY_LOWER'));
  assert.ok(!isDeployLayerVariable('MORPH_LOG_FD'));
});

test('the overlay mounted on the tree is found in mountinfo, with escaped paths undone', () => {
  const text = mountinfo(
    '/tmp/a\\040b/m',
    'overlay',
    'rw,lowerdir=/l\\054x:/l2,upperdir=/u\\040v,workdir=/w,redirect_dir=on,uuid=on',
  );
  const overlay = findOverlayMount(text, '/tmp/a b/m');
  assert.deepEqual(overlay?.lowerdirs, ['/l,x', '/l2']);
  assert.equal(overlay?.upperdir, '/u v');
  assert.equal(overlay?.options.get('redirect_dir'), 'on');
  assert.equal(findOverlayMount(text, '/tmp/other'), undefined);
  assert.equal(findOverlayMount(mountinfo('/m', 'ext4', 'rw'), '/m'), undefined);
  // A later mount on the same point hides the overlay.
  assert.equal(findOverlayMount(text + mountinfo('/tmp/a\\040b/m', 'tmpfs', 'rw'), '/tmp/a b/m'), undefined);
});

test('only an overlay of exactly the given layers, without redirect_dir and metacopy, matches', () => {
  const off = () => false;
  const mount = (options: string) => findOverlayMount(mountinfo('/m', 'overlay', `rw,${options}`), '/m');
  const plain = `lowerdir=${layers.lower},upperdir=${layers.upper},workdir=/t/w`;
  assert.equal(overlayMismatch(mount(plain), layers, off), undefined);
  assert.match(overlayMismatch(undefined, layers, off) ?? '', /not an overlay/);
  assert.match(overlayMismatch(mount(plain.replace('tree', 'other')), layers, off) ?? '', /lower/);
  assert.match(
    overlayMismatch(mount(`lowerdir=${layers.lower}:/more,upperdir=${layers.upper}`), layers, off) ?? '',
    /lower/,
  );
  assert.match(overlayMismatch(mount(plain.replace('upper', 'up2')), layers, off) ?? '', /upper/);
  assert.match(overlayMismatch(mount(`lowerdir=${layers.lower}`), layers, off) ?? '', /upper/);
  assert.match(overlayMismatch(mount(`${plain},redirect_dir=on`), layers, off) ?? '', /redirect_dir/);
  assert.match(overlayMismatch(mount(`${plain},metacopy=on`), layers, off) ?? '', /metacopy/);
  assert.equal(overlayMismatch(mount(`${plain},redirect_dir=nofollow`), layers, off), undefined);
  // Options the mount does not show are the module's defaults.
  assert.match(overlayMismatch(mount(plain), layers, (o) => o === 'metacopy') ?? '', /metacopy/);
  assert.equal(
    overlayMismatch(mount(`${plain},metacopy=off`), layers, (o) => o === 'metacopy'),
    undefined,
  );
});
