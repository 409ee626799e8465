import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareUpperLayer } from './upper-layer.js';

/** Creates `spec` under `dir`: names ending in `/` are directories, `->` makes a symlink. */
async function layout(dir: string, spec: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of spec) {
    const path = join(dir, entry);
    if (entry.endsWith('/')) await mkdir(path, { recursive: true });
    else if (entry.includes(' -> ')) {
      const [name, target] = entry.split(' -> ') as [string, string];
      await symlink(target, join(dir, name));
    } else await writeFile(path, entry);
  }
}

// The three directories as an overlay would show them, built by hand (no
// mount needed): `copy` is the lower layer, `merged` what the overlay
// shows, `upper` only names what the deployment touched (whiteouts are
// entries that the merged tree does not have).
test('what changed in the upper layer is removed from the copy or listed to be copied', async () => {
  const top = await mkdtemp(join(tmpdir(), 'upper-layer-'));
  try {
    const lower = [
      'etc/',
      'etc/a',
      'etc/b',
      'etc/gone',
      'usr/',
      'usr/bin/',
      'usr/bin/x',
      'usr/lib/',
      'usr/lib/l',
      'dir-to-file/',
      'dir-to-file/inner',
      'file-to-dir',
      'opaque/',
      'opaque/old',
      'opaque/sub/',
      'opaque/sub/s',
      'link -> etc/a',
      'untouched/',
      'untouched/u',
    ];
    await layout(join(top, 'copy'), lower);
    await layout(join(top, 'merged'), [
      'etc/',
      'etc/a',
      'etc/b',
      'etc/new',
      'usr/',
      'usr/bin/',
      'usr/bin/x',
      'usr/lib/',
      'usr/lib/l',
      'dir-to-file',
      'file-to-dir/',
      'file-to-dir/in/',
      'file-to-dir/in/deep',
      'opaque/',
      'opaque/fresh',
      'opaque/sub/',
      'link -> usr/bin/x',
      'untouched/',
      'untouched/u',
    ]);
    await layout(join(top, 'upper'), [
      'etc/',
      'etc/a',
      'etc/new',
      'etc/gone',
      'dir-to-file',
      'file-to-dir/',
      'file-to-dir/in/',
      'file-to-dir/in/deep',
      'opaque/',
      'opaque/fresh',
      'opaque/sub/',
      'opaque/old',
      'link -> usr/bin/x',
      'usr/',
      'usr/bin/',
    ]);
    const changes = await prepareUpperLayer(join(top, 'merged'), join(top, 'upper'), join(top, 'copy'));
    assert.deepEqual(changes.removed.sort(), [
      'dir-to-file',
      'etc/gone',
      'file-to-dir',
      'opaque/old',
      'opaque/sub/s',
    ]);
    assert.deepEqual(changes.copied.sort(), [
      '.',
      'dir-to-file',
      'etc',
      'etc/a',
      'etc/new',
      'file-to-dir',
      'file-to-dir/in',
      'file-to-dir/in/deep',
      'link',
      'opaque',
      'opaque/fresh',
      'opaque/sub',
      'usr',
      'usr/bin',
    ]);
    assert.deepEqual(changes.special, ['link'], 'symlinks and special files are copied with cp -a');
    // Removed from the copy: what is gone, and what changes type.
    for (const gone of ['etc/gone', 'dir-to-file', 'file-to-dir', 'opaque/old', 'opaque/sub/s']) {
      assert.equal(existsSync(join(top, 'copy', gone)), false, gone);
    }
    // Kept: what the upper layer did not touch, and what it replaces (rsync overwrites files).
    for (const kept of ['etc/b', 'usr/bin/x', 'usr/lib/l', 'untouched/u', 'etc/a', 'opaque/sub']) {
      assert.ok(existsSync(join(top, 'copy', kept)), kept);
    }
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
