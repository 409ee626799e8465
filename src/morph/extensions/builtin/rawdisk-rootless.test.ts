import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unprivilegedSourceDir } from '../../../shared/unprivileged-copy.js';
import { renderExtlinuxConfig } from './extlinux-config.js';
import { completeExt4Fstab } from './fstab-layout.js';
import { readRawdiskOptions } from './rawdisk-options.js';
import { filesystemPath } from './rawdisk-rootless.js';

/** The package root (the checkout). */
const SRC = fileURLToPath(new URL('../../../../../', import.meta.url));
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/** Runs a shipped rawdisk hook as an unprivileged user: nobody when we are root, else ourselves. */
function runUnprivileged(kind: string, args: string[], env: Record<string, string>) {
  const asUser = isRoot ? NOBODY : [];
  // A checkout in a 0700 directory cannot be run by nobody: run a readable copy then.
  const exts = join(unprivilegedSourceDir(SRC, asUser, 'morphlib/exts/rawdisk.write'), 'morphlib', 'exts');
  const argv = [...asUser, join(exts, `rawdisk.${kind}`), ...args];
  return spawnSync(argv[0] as string, argv.slice(1), {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
}

function debugfs(fs: string, request: string): string {
  const result = spawnSync('debugfs', ['-R', request, fs], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

test('rootless is the default without root, and ROOTLESS overrides it', () => {
  assert.equal(readRawdiskOptions({}, 'x64', 0).rootless, false);
  assert.equal(readRawdiskOptions({}, 'x64', 1000).rootless, true);
  assert.equal(readRawdiskOptions({ ROOTLESS: 'yes' }, 'x64', 0).rootless, true);
  assert.equal(readRawdiskOptions({ ROOTLESS: 'no' }, 'x64', 1000).rootless, false);
  assert.throws(() => readRawdiskOptions({ ROOTLESS: 'maybe' }), { code: 'extension/bad-boolean' });
});

test('the ext4 fstab gets only a root entry, and extlinux.conf no subvolume', () => {
  assert.equal(
    completeExt4Fstab('proc /proc proc defaults 0 0', 'UUID=u'),
    'proc /proc proc defaults 0 0\n# Morph default system layout\nUUID=u  / ext4 defaults,rw,noatime 0 1\n',
  );
  assert.equal(
    completeExt4Fstab('/dev/vda / ext4 defaults 0 1\n', 'UUID=u'),
    '/dev/vda / ext4 defaults 0 1\n',
  );
  const config = renderExtlinuxConfig({ root: 'UUID=u', initramfs: true, dtb: false, filesystem: 'ext4' });
  assert.match(config, /^append rw init=\/sbin\/init rootfstype=ext4 root=UUID=u$/m);
  assert.doesNotMatch(config, /subvol/);
  assert.equal(filesystemPath('/d.img', 0), '/d.img');
  assert.equal(filesystemPath('/d.img', 1048576), '/d.img?offset=1048576');
});

test('without root, rawdisk.write builds a checked ext4 image with the layout; upgrades are refused', {
  skip: hasSetpriv ? false : 'needs setpriv (util-linux) to drop privileges',
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rawdisk-rootless-test-'));
  await chmod(dir, 0o1777);
  try {
    const tree = join(dir, 'tree');
    for (const sub of ['boot', 'etc', 'bin', 'var/log']) await mkdir(join(tree, sub), { recursive: true });
    await writeFile(join(tree, 'boot', 'vmlinuz'), 'kernel');
    await writeFile(join(tree, 'boot', 'initramfs.gz'), 'initramfs');
    await writeFile(join(tree, 'bin', 'busybox'), 'binary');
    await link(join(tree, 'bin', 'busybox'), join(tree, 'bin', 'sh'));
    await symlink('busybox', join(tree, 'bin', 'ls'));
    await writeFile(join(tree, 'var', 'log', 'old'), 'state');
    const image = join(dir, 'disk.img');
    const env = {
      TMPDIR: dir,
      DISK_SIZE: '40M',
      INITRAMFS_PATH: 'boot/initramfs.gz',
      PARTITION_TABLE: 'mbr',
    };
    const written = runUnprivileged('write', [tree, image], env);
    assert.equal(written.status, 0, written.stderr);
    assert.match(written.stdout, /installing syslinux \(without root\)/);

    // A 16 MiB FAT boot partition at 1 MiB, the ext4 one after it.
    const fs = filesystemPath(image, 17 * 1048576);
    assert.equal(spawnSync('e2fsck', ['-fn', fs]).status, 0, 'e2fsck finds the filesystem clean');
    const orig = debugfs(fs, 'ls -l /systems/factory/orig/bin');
    // One inode for the hard link pair (mkfs.ext4 -d keeps hard links), owned by root.
    const inodes = ['busybox', 'sh'].map((name) => {
      const line = orig.split('\n').find((l) => l.trim().endsWith(` ${name}`));
      assert.ok(line, `${name} in ${orig}`);
      const [inode, , , uid, gid] = line.trim().split(/\s+/);
      assert.deepEqual([uid, gid], ['0', '0'], `${name} is owned by root: ${line}`);
      return inode;
    });
    assert.equal(inodes[0], inodes[1]);
    assert.match(debugfs(fs, 'ls -l /systems/factory/run/var/log'), / old\s*$/m);
    assert.match(debugfs(fs, 'stat /systems/default'), /Fast link dest: "factory"/);
    assert.match(debugfs(fs, 'cat /systems/factory/initramfs'), /^initramfs$/);
    const config = debugfs(fs, 'cat /extlinux.conf');
    assert.match(config, /rootfstype=ext4 root=UUID=[0-9a-f-]{36}$/m);
    assert.match(debugfs(fs, 'cat /systems/factory/orig/etc/fstab'), /^UUID=[0-9a-f-]{36} {2}\/ ext4 /m);
    const table = spawnSync('sfdisk', ['-l', image], { encoding: 'utf8' }).stdout;
    assert.match(table, /disk\.img1 +\* +2048 +34815 .* e W95 FAT16/);
    assert.match(table, /disk\.img2 +34816 .* 83 Linux/);
    const boot = spawnSync('mdir', ['-a', '-i', `${image}@@1M`, '::/'], { encoding: 'utf8' }).stdout;
    assert.match(boot, /ldlinux +sys/, 'syslinux is installed on the boot partition');
    const cfg = spawnSync('mtype', ['-i', `${image}@@1M`, '::/syslinux.cfg'], { encoding: 'utf8' }).stdout;
    assert.match(cfg, /^kernel \/kernel$/m);
    assert.match(cfg, /^initrd \/initramfs$/m);
    assert.match(cfg, /rootfstype=ext4 root=UUID=/);
    const mbr = spawnSync('cmp', ['-n', '440', image, '/usr/lib/syslinux/mbr/mbr.bin']);
    assert.equal(mbr.status, 0, 'the MBR boot code is syslinux mbr.bin');

    const upgrade = runUnprivileged('write', [tree, image], { ...env, UPGRADE: 'yes', VERSION_LABEL: 'v2' });
    assert.equal(upgrade.status, 1);
    assert.match(upgrade.stderr, /^ERROR: Upgrading a disk image needs root/m);
    const tooSmall = runUnprivileged('write', [tree, join(dir, 'small.img')], { ...env, DISK_SIZE: '1M' });
    assert.match(tooSmall.stderr, /^ERROR: DISK_SIZE 1M is too small/m);
    const again = runUnprivileged('write', [tree, image], env);
    assert.match(again.stderr, /^ERROR: There is already a file at .*disk\.img/m);
    assert.match(debugfs(fs, 'cat /extlinux.conf'), /rootfstype=ext4/, 'an existing image is left alone');
    assert.deepEqual((await readdir(dir)).sort(), ['disk.img', 'tree'], 'no staging or partial image left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
