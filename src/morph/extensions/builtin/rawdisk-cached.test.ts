import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CommandResult, runCommand } from '../../../shared/exec.js';
import { deployLayerEnvironment } from '../deploy-layers.js';
import { PRISTINE_DIR } from './pristine-image.js';

// Runs the shipped executable on a real overlay, as morph does: root only.
const EXTS = fileURLToPath(new URL('../../../../../morphlib/exts/', import.meta.url));
const isRoot = process.getuid?.() === 0;
const sh = (argv: string[]) => {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  assert.equal(result.status, 0, `${argv.join(' ')}: ${result.stderr}`);
  return result.stdout;
};
const setXattr = (path: string, name: string, value: string) =>
  sh([
    'python3',
    '-c',
    'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())',
    path,
    name,
    value,
  ]);

/** Every xattr under `root` (symlinks not followed), as JSON text. */
function xattrs(root: string): Record<string, Record<string, string>> {
  const script = `
import json, os, sys
root = sys.argv[1]; out = {}
for d, dirs, files in os.walk(root):
    for p in [d] + [os.path.join(d, n) for n in dirs + files]:
        names = sorted(os.listxattr(p, follow_symlinks=False))
        if names:
            out[os.path.relpath(p, root)] = {n: os.getxattr(p, n, follow_symlinks=False).hex() for n in names}
print(json.dumps(out, sort_keys=True))`;
  return JSON.parse(sh(['python3', '-c', script, root]));
}

/** A system, an overlay over it as morph mounts one, and its cache directory. */
interface Deployment {
  dir: string;
  lower: string;
  upper: string;
  merged: string;
  cache: string;
  env: Record<string, string>;
}

async function overlay(
  dir: string,
  fill: (lower: string) => Promise<void>,
  extraOptions = '',
): Promise<Deployment> {
  const cache = join(dir, 'checkout');
  const lower = join(cache, 'tree');
  const upper = join(dir, 'upper');
  const merged = join(dir, 'merged');
  await mkdir(lower, { recursive: true });
  await Promise.all([mkdir(upper), mkdir(join(dir, 'work')), mkdir(merged)]);
  await fill(lower);
  const options = `lowerdir=${lower},upperdir=${upper},workdir=${join(dir, 'work')}${extraOptions}`;
  sh(['mount', '-t', 'overlay', 'test', '-o', options, merged]);
  return { dir, lower, upper, merged, cache, env: deployLayerEnvironment({ lower, upper, cache }) };
}

function write(tree: string, image: string, env: Record<string, string>): Promise<CommandResult> {
  return runCommand([join(EXTS, 'rawdisk.write'), tree, image], {
    allowFailure: true,
    // TMPDIR: the extension's mounts are then under the test's directory, which is checked.
    env: {
      ...process.env,
      TMPDIR: dirname(image),
      BOOTLOADER_CONFIG_FORMAT: 'extlinux',
      BOOTLOADER_INSTALL: 'none',
      ...env,
    },
  });
}

/**
 * Everything `diff` would see in the mounted image: per path its type,
 * mode, owner, size, symlink target, content hash (UUIDs masked), mtime
 * where the layout does not change it, xattrs; plus the hard-link groups.
 */
async function describeImage(mnt: string): Promise<{ entries: string[]; links: string[]; xattrs: unknown }> {
  const entries: string[] = [];
  const inodes = new Map<string, string[]>();
  const layoutDirs =
    /^\.$|^systems(\/factory)?$|^state(\/[^/]+)?$|^systems\/factory\/(orig|run)\/(etc|var|home|root|opt|srv)$/;
  const visit = async (rel: string): Promise<void> => {
    const path = join(mnt, rel);
    const st = await lstat(path, { bigint: true });
    const type = st.isDirectory()
      ? 'd'
      : st.isSymbolicLink()
        ? 'l'
        : st.isFile()
          ? 'f'
          : st.isFIFO()
            ? 'p'
            : '?';
    let line = `${rel} ${type} ${st.mode.toString(8)} ${st.uid}:${st.gid}`;
    if (type === 'l') line += ` -> ${await readlink(path)}`;
    if (type === 'f') {
      const text = (await readFile(path))
        .toString('latin1')
        .replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, 'UUID');
      line += ` ${st.size} ${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    }
    const layoutMade =
      /(^|\/)etc\/fstab$|^extlinux\.conf$|^systems\/default$/.test(rel) ||
      (type === 'd' && layoutDirs.test(rel));
    if (!layoutMade) line += ` mtime ${st.mtimeNs}`;
    entries.push(line);
    if (type !== 'd' && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      inodes.set(key, [...(inodes.get(key) ?? []), rel]);
    }
    if (type === 'd')
      for (const name of (await readdir(path)).sort()) await visit(rel === '.' ? name : `${rel}/${name}`);
  };
  await visit('.');
  const links = [...inodes.values()].map((group) => group.sort().join(' = ')).sort();
  return { entries, links, xattrs: xattrs(mnt) };
}

/** Mounts the images read-only, all at once, and describes each. */
async function describeImages(dir: string, images: string[]) {
  const mounts: string[] = [];
  try {
    for (const image of images) {
      const mnt = await mkdtemp(join(dir, 'inspect-'));
      mounts.push(mnt);
      sh(['mount', '-o', 'loop,ro', image, mnt]);
    }
    return await Promise.all(mounts.map(describeImage));
  } finally {
    for (const mnt of mounts) spawnSync('umount', [mnt]);
  }
}

function uuidOf(image: string): string {
  return sh(['blkid', '-c', '/dev/null', '-s', 'UUID', '-o', 'value', image]).trim();
}

function loopsBackedBy(dir: string): string {
  return spawnSync('losetup', ['--list', '--noheadings', '-O', 'NAME,BACK-FILE'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((line) => line.includes(dir))
    .join('\n');
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rawdisk-cached-test-'));
  try {
    await fn(dir);
  } finally {
    spawnSync('umount', [join(dir, 'merged')]);
    // Autoclear loop devices are released asynchronously; slowly on a loaded machine.
    for (let waited = 0; loopsBackedBy(dir) !== '' && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(loopsBackedBy(dir), '', 'no loop device may be left attached');
    const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout;
    assert.ok(!mounts.includes(dir), mounts);
    await rm(dir, { recursive: true, force: true });
  }
}

/** A small system with every kind of entry, hard-linked like an OSTree checkout where contents repeat. */
async function fillSystem(lower: string): Promise<void> {
  for (const d of [
    'boot',
    'etc',
    'usr/bin',
    'usr/lib',
    'usr/share/doc',
    'usr/empty',
    'opt/app',
    'srv/shared',
    'var/log',
  ]) {
    await mkdir(join(lower, d), { recursive: true });
  }
  const file = (path: string, text: string, mode = 0o644) => writeFile(join(lower, path), text, { mode });
  await file('boot/vmlinuz', 'kernel');
  await file('etc/passwd', 'root:x:0:0::/root:/bin/sh\n');
  await file('etc/hosts', '127.0.0.1 localhost\n');
  await file('etc/motd', 'hello\n');
  await file('usr/bin/tool', '#!/bin/sh\n', 0o755);
  await file('usr/bin/su', 'setuid', 0o755);
  await chmod(join(lower, 'usr/bin/su'), 0o4755);
  await file('usr/bin/ping', 'ping', 0o755);
  sh(['setcap', 'cap_net_raw+ep', join(lower, 'usr/bin/ping')]);
  await file('usr/lib/liba.so.1', 'lib one');
  sh(['ln', '-s', 'liba.so.1', join(lower, 'usr/lib/liba.so')]);
  sh(['ln', '-s', '/nowhere', join(lower, 'usr/lib/dangling')]);
  await file('usr/share/doc/readme', 'docs');
  await file('usr/share/zoneinfo', 'UTC');
  await file('usr/share/same1', 'same');
  sh(['ln', join(lower, 'usr/share/same1'), join(lower, 'usr/share/same2')]);
  await file('usr/share/group-a', 'grouped');
  sh(['ln', join(lower, 'usr/share/group-a'), join(lower, 'usr/share/group-b')]);
  sh(['mkfifo', join(lower, 'usr/share/fifo')]);
  await file('usr/share/owned', 'by a user');
  await chown(join(lower, 'usr/share/owned'), 1000, 1000);
  setXattr(join(lower, 'usr/share/owned'), 'user.comment', 'lower');
  setXattr(join(lower, 'usr/lib'), 'user.dir', 'lower');
  await file('opt/app/old', 'old app');
  await chown(join(lower, 'srv/shared'), 1000, 100);
  await chmod(join(lower, 'srv/shared'), 0o2775);
  await file('var/log/old', 'state');
}

/** What configure extensions do: add, change, delete, retype, relink, re-own. */
async function configure(tree: string): Promise<void> {
  const at = (path: string) => join(tree, path);
  await writeFile(at('etc/passwd'), 'root:x:0:0::/root:/bin/bash\n');
  await rm(at('etc/hosts'));
  await writeFile(at('etc/hostname'), 'box\n');
  await chmod(at('etc/motd'), 0o600);
  await chown(at('usr/bin/tool'), 1234, 1234);
  setXattr(at('usr/bin/tool'), 'user.new', 'upper');
  setXattr(at('usr/lib'), 'user.dir', 'upper');
  await rm(at('usr/share/doc'), { recursive: true });
  await writeFile(at('usr/share/doc'), 'now a file');
  await rm(at('usr/share/zoneinfo'));
  await mkdir(at('usr/share/zoneinfo/Europe'), { recursive: true });
  await writeFile(at('usr/share/zoneinfo/Europe/London'), 'GMT');
  await writeFile(at('usr/lib/liba.so.2'), 'lib two');
  await rm(at('usr/lib/liba.so'));
  sh(['ln', '-s', 'liba.so.2', at('usr/lib/liba.so')]);
  await writeFile(at('usr/share/group-a'), 'changed one of a group');
  await mkdir(at('etc/new'));
  await writeFile(at('etc/new/a'), 'pair');
  sh(['ln', at('etc/new/a'), at('etc/new/b')]);
  sh(['ln', at('usr/share/same1'), at('usr/share/same3')]);
  await rm(at('usr/empty'), { recursive: true });
  await mkdir(at('usr/empty'));
  await rm(at('opt/app'), { recursive: true });
  await mkdir(at('opt/app'));
  await writeFile(at('opt/app/fresh'), 'new app');
  await chmod(at('srv/shared'), 0o700);
  sh(['mkfifo', at('etc/fifo')]);
  await rm(at('usr/share/fifo'));
}

test(
  'an image from the pristine image equals one copied per file, for adds, changes, deletes and retyped entries',
  { skip: !isRoot },
  () =>
    withDir(async (dir) => {
      const d = await overlay(dir, fillSystem);
      await configure(d.merged);
      const first = join(dir, 'first.img');
      const second = join(dir, 'second.img');
      const perFile = join(dir, 'per-file.img');
      const made = await write(d.merged, first, { ...d.env, DISK_SIZE: '1G' });
      assert.equal(made.exitCode, 0, made.stderr);
      assert.match(made.stdout, /Making the pristine 1G image/);
      assert.match(made.stdout, /Copying the pristine image/);
      assert.ok(existsSync(join(d.cache, PRISTINE_DIR, 'image')));
      // A larger image is grown from the same pristine image, made only once.
      const reused = await write(d.merged, second, { ...d.env, DISK_SIZE: '2G' });
      assert.equal(reused.exitCode, 0, reused.stderr);
      assert.doesNotMatch(reused.stdout, /Making the pristine/);
      assert.match(reused.stdout, /Copying the pristine image/);
      const plain = await write(d.merged, perFile, { DISK_SIZE: '1G' });
      assert.equal(plain.exitCode, 0, plain.stderr);
      assert.match(plain.stdout, /Copying the system into the image/);
      assert.doesNotMatch(plain.stdout, /pristine/);

      assert.equal(new Set([first, second, perFile].map(uuidOf)).size, 3, 'every image has its own UUID');
      const [a, b, c] = await describeImages(dir, [first, second, perFile]);
      assert.deepEqual(a!.entries, c!.entries);
      assert.deepEqual(b!.entries, c!.entries);
      assert.deepEqual(a!.links, c!.links);
      assert.deepEqual(b!.links, c!.links);
      assert.deepEqual(a!.xattrs, c!.xattrs);
      assert.deepEqual(b!.xattrs, c!.xattrs);
      // The comparison sees what it should: the changes, and the layout.
      const has = (line: RegExp) =>
        assert.ok(
          a!.entries.some((e) => line.test(e)),
          String(line),
        );
      has(/^systems\/factory\/orig\/usr\/share\/doc f 100644 0:0 10 /);
      has(/^systems\/factory\/orig\/usr\/share\/zoneinfo\/Europe\/London f /);
      has(/^systems\/factory\/orig\/usr\/lib\/liba.so l 120777 0:0 -> liba.so.2 mtime /);
      has(/^systems\/factory\/orig\/usr\/bin\/tool f 100755 1234:1234 /);
      has(/^state\/srv\/shared d 40700 1000:100 mtime /);
      has(/^systems\/factory\/orig\/usr\/bin\/su f 104755 /);
      has(/^state\/var\/log\/old f /);
      has(/^systems\/factory\/run\/etc\/fstab f /);
      assert.ok(!a!.entries.some((e) => /orig\/etc\/hosts |orig\/usr\/share\/fifo |opt\/app\/old /.test(e)));
      assert.ok(
        a!.links.includes('systems/factory/orig/etc/new/a = systems/factory/orig/etc/new/b'),
        a!.links.join('\n'),
      );
      assert.ok(
        a!.links.some((l) => l.includes('orig/usr/share/same1') && l.includes('orig/usr/share/same3')),
      );
      const attrs = a!.xattrs as Record<string, Record<string, string>>;
      assert.equal(attrs['systems/factory/orig/usr/lib']?.['user.dir'], Buffer.from('upper').toString('hex'));
      assert.ok(attrs['systems/factory/orig/usr/bin/ping']?.['security.capability']);
      for (const image of [first, second, perFile]) sh(['btrfs', 'check', '--readonly', image]);
    }),
);

test(
  'two first deployments of a system at once both succeed, with one pristine image',
  { skip: !isRoot },
  () =>
    withDir(async (dir) => {
      const d = await overlay(dir, fillSystem);
      await configure(d.merged);
      const images = [join(dir, 'a.img'), join(dir, 'b.img')];
      const results = await Promise.all(
        images.map((image) => write(d.merged, image, { ...d.env, DISK_SIZE: '1G' })),
      );
      for (const result of results) {
        assert.equal(result.exitCode, 0, result.stderr);
        assert.match(result.stdout, /Copying the pristine image/);
      }
      assert.deepEqual((await readdir(d.cache)).sort(), [PRISTINE_DIR, 'tree']);
      assert.notEqual(uuidOf(images[0]!), uuidOf(images[1]!));
      // Both mounted at once (describeImages mounts all before reading any).
      const [a, b] = await describeImages(dir, images);
      assert.deepEqual(a!.entries, b!.entries);
    }),
);

test(
  'without usable layers, or for small and partitioned images, the system is copied per file',
  { skip: !isRoot },
  () =>
    withDir(async (dir) => {
      const d = await overlay(dir, fillSystem);
      await configure(d.merged);
      const cases: [string, Record<string, string>][] = [
        ['small', { ...d.env, DISK_SIZE: '512M' }],
        ['mbr', { ...d.env, DISK_SIZE: '1G', PARTITION_TABLE: 'mbr' }],
        ['other-upper', { ...d.env, DISK_SIZE: '1G', MORPH_DEPLOY_UPPER: join(dir, 'work') }],
      ];
      for (const [name, env] of cases) {
        const result = await write(d.merged, join(dir, `${name}.img`), env);
        assert.equal(result.exitCode, 0, `${name}: ${result.stderr}`);
        assert.match(result.stdout, /Copying the system into the image/, name);
        assert.doesNotMatch(result.stdout, /pristine/, name);
      }
      assert.deepEqual(await readdir(d.cache), ['tree']);

      // A cache that cannot be written to has no pristine image to make.
      sh(['mount', '--bind', d.cache, d.cache]);
      try {
        sh(['mount', '-o', 'remount,ro,bind', d.cache]);
        const readOnly = await write(d.merged, join(dir, 'ro.img'), { ...d.env, DISK_SIZE: '1G' });
        assert.equal(readOnly.exitCode, 0, readOnly.stderr);
        assert.match(readOnly.stdout, /Copying the system into the image/);
        assert.doesNotMatch(readOnly.stdout, /pristine/);
      } finally {
        sh(['umount', d.cache]);
      }

      // qcow2 is converted from the raw image, which comes from the pristine image.
      const qcow2 = await write(d.merged, join(dir, 'disk.qcow2'), {
        ...d.env,
        DISK_SIZE: '1G',
        DISK_FORMAT: 'qcow2',
      });
      assert.equal(qcow2.exitCode, 0, qcow2.stderr);
      assert.match(qcow2.stdout, /Copying the pristine image/);
      assert.equal(
        JSON.parse(sh(['qemu-img', 'info', '--output=json', join(dir, 'disk.qcow2')])).format,
        'qcow2',
      );
      assert.deepEqual(
        (await readdir(dir)).filter((name) => name.endsWith('.raw')),
        [],
      );
    }),
);

test(
  'SIGTERM while the pristine image is made, or while an image is made from it, leaves nothing behind',
  { skip: !isRoot },
  () =>
    withDir(async (dir) => {
      const d = await overlay(dir, async (lower) => {
        await fillSystem(lower);
        for (let i = 0; i < 8; i++)
          await writeFile(join(lower, `data${i}`), Buffer.alloc(16 * 1024 * 1024, i + 1));
      });
      const image = join(dir, 'interrupted.img');
      const interrupt = async (when: string) => {
        const child = spawn(join(EXTS, 'rawdisk.write'), [d.merged, image], {
          env: { ...process.env, ...d.env, DISK_SIZE: '1G', TMPDIR: dir },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes(when)) child.kill('SIGTERM');
        });
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        assert.equal(code, 143, stderr);
        assert.equal(existsSync(image), false);
        const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout;
        assert.ok(!mounts.includes(join(dir, 'rawdisk-mnt-')), mounts);
        // Autoclear loop devices are released asynchronously; slowly on a loaded machine.
        for (let waited = 0; loopsBackedBy(dir) !== '' && waited < 10_000; waited += 100) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(loopsBackedBy(dir), '', `no loop device is left after SIGTERM at "${when}"`);
      };
      await interrupt('Copying the system into the image');
      assert.deepEqual(await readdir(d.cache), ['tree'], 'no partial pristine image is left');

      const made = await write(d.merged, join(dir, 'made.img'), { ...d.env, DISK_SIZE: '1G' });
      assert.equal(made.exitCode, 0, made.stderr);
      // Interrupted with the copy mounted: the pristine image is untouched.
      await interrupt("Applying the deployment's own changes");
      assert.deepEqual((await readdir(d.cache)).sort(), [PRISTINE_DIR, 'tree']);
      sh(['btrfs', 'check', '--readonly', join(d.cache, PRISTINE_DIR, 'image')]);
    }),
);

test('an overlay with metacopy (and so redirect_dir) is copied per file', { skip: !isRoot }, () =>
  withDir(async (dir) => {
    const d = await overlay(dir, fillSystem, ',metacopy=on');
    await configure(d.merged);
    const result = await write(d.merged, join(dir, 'metacopy.img'), { ...d.env, DISK_SIZE: '1G' });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /Copying the system into the image/);
    assert.doesNotMatch(result.stdout, /pristine/);
  }),
);
