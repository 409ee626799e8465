import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CleanupStack, type ExtensionContext } from '../api.js';
import { fstabExtension } from './fstab.js';
import { installFilesExtension, parseManifest } from './install-files.js';
import { setHostnameExtension } from './set-hostname.js';
import { parseNetworkConfig, renderInterfaces, simpleNetworkExtension } from './simple-network.js';
import { setRootDevice } from './vdaboot.js';

function context(env: Record<string, string>): ExtensionContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    env,
    lines,
    cleanup: new CleanupStack(),
    signal: new AbortController().signal,
    status: (m) => lines.push(m),
    log: () => {},
    warn: (m) => lines.push(`WARNING: ${m}`),
  };
}

async function withTree(fn: (tree: string) => Promise<void>) {
  const tree = await mkdtemp(join(tmpdir(), 'ext-test-'));
  try {
    await fn(tree);
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

test('fstab appends FSTAB_* values in byte order of their names and sets mode 0644', () =>
  withTree(async (tree) => {
    await mkdir(join(tree, 'etc'));
    await writeFile(join(tree, 'etc', 'fstab'), '# comment\n', { mode: 0o600 });
    await fstabExtension.configure!(context({ FSTAB_b: 'second', FSTAB_B: 'first', OTHER: 'x' }), tree);
    assert.equal(await readFile(join(tree, 'etc', 'fstab'), 'utf8'), '# comment\nfirst\nsecond\n');
    assert.equal((await stat(join(tree, 'etc', 'fstab'))).mode & 0o777, 0o644);
  }));

test('fstab without variables creates an empty file', () =>
  withTree(async (tree) => {
    await fstabExtension.configure!(context({}), tree);
    assert.equal(await readFile(join(tree, 'etc', 'fstab'), 'utf8'), '');
  }));

test('simple-network parses stanzas and renders interfaces(5)', async () => {
  const stanzas = parseNetworkConfig('lo:loopback;eth0:static,address=10.0.0.2,netmask=255.0.0.0');
  assert.equal(
    renderInterfaces(stanzas),
    'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n    address 10.0.0.2\n    netmask 255.0.0.0\n\n',
  );
  assert.throws(() => parseNetworkConfig('eth0'), { code: 'extension/bad-network-config' });
  assert.throws(() => parseNetworkConfig('eth0:dhcp,novalue'), { code: 'extension/bad-network-config' });
  await withTree(async (tree) => {
    await simpleNetworkExtension.configure!(context({ NETWORK_CONFIG: 'lo:loopback' }), tree);
    assert.equal(
      await readFile(join(tree, 'etc/network/interfaces'), 'utf8'),
      'auto lo\niface lo inet loopback\n\n',
    );
  });
});

test('install-files installs dirs, files and symlinks from a manifest, refusing to overwrite', () =>
  withTree(async (top) => {
    const src = join(top, 'src');
    const tree = join(top, 'tree');
    await mkdir(join(src, 'etc'), { recursive: true });
    await mkdir(tree);
    await writeFile(join(src, 'etc', 'motd'), 'hello\n');
    await symlink('motd', join(src, 'etc', 'issue'));
    const manifest = join(src, 'manifest');
    await writeFile(manifest, '040755 0 0 /etc\n0100600 0 0 /etc/motd\n0120777 0 0 /etc/issue\n');
    const ctx = context({ INSTALL_FILES: manifest });
    await installFilesExtension.configure!(ctx, tree);
    assert.equal(await readFile(join(tree, 'etc', 'issue'), 'utf8'), 'hello\n');
    assert.equal((await stat(join(tree, 'etc', 'motd'))).mode & 0o7777, 0o600);
    await assert.rejects(installFilesExtension.configure!(ctx, tree), { code: 'extension/exists' });
    await writeFile(manifest, 'overwrite 0100644 0 0 /etc/motd\n');
    await installFilesExtension.configure!(ctx, tree);
    assert.equal((await stat(join(tree, 'etc', 'motd'))).mode & 0o7777, 0o644);
    assert.throws(() => parseManifest('0644 root 0 /x'), { code: 'extension/bad-manifest' });
  }));

test('vdaboot makes /dev/vda the root device', () => {
  assert.equal(setRootDevice('UUID=x / btrfs defaults 0 1\n'), '/dev/vda  /  btrfs  defaults  0  1\n');
  assert.equal(setRootDevice(''), '/dev/vda  /  btrfs  defaults,rw,noatime  0 1\n');
});

test('install-files and set-hostname refuse destinations through symlinks that leave the tree', () =>
  withTree(async (top) => {
    const src = join(top, 'src');
    const tree = join(top, 'tree');
    const host = join(top, 'host');
    await mkdir(join(src, 'opt'), { recursive: true });
    await mkdir(tree);
    await mkdir(host);
    await writeFile(join(src, 'opt', 'file'), 'payload\n');
    await symlink(host, join(tree, 'opt'));
    await symlink(host, join(tree, 'etc'));
    const manifest = join(src, 'manifest');
    await writeFile(manifest, '0100644 0 0 /opt/file\n');
    await assert.rejects(installFilesExtension.configure!(context({ INSTALL_FILES: manifest }), tree), {
      code: 'extension/escapes-tree',
    });
    await writeFile(manifest, '0100644 0 0 ../src/opt/file\n');
    await assert.rejects(installFilesExtension.configure!(context({ INSTALL_FILES: manifest }), tree), {
      code: 'extension/escapes-tree',
    });
    await assert.rejects(setHostnameExtension.configure!(context({ HOSTNAME: 'box' }), tree), {
      code: 'extension/escapes-tree',
    });
    assert.deepEqual(await readdir(host), []);
  }));
