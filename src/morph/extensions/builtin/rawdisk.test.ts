import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Runs the shipped executables, as morph and users do: root only (loop devices, mounts).
const EXTS = fileURLToPath(new URL('../../../../../morphlib/exts/', import.meta.url));
const isRoot = process.getuid?.() === 0;

function run(name: string, args: string[], env: Record<string, string>) {
  return spawnSync(join(EXTS, name), args, { encoding: 'utf8', env: { ...process.env, ...env } });
}

function loopsBackedBy(dir: string): string {
  return spawnSync('losetup', ['--list', '--noheadings', '-O', 'NAME,BACK-FILE'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((line) => line.includes(dir))
    .join('\n');
}

/** Runs `fn` on the image mounted read-only. */
function inspect<T>(image: string, dir: string, fn: (mnt: string) => Promise<T>): Promise<T> {
  const mnt = join(dir, 'mnt');
  spawnSync('mkdir', ['-p', mnt]);
  assert.equal(spawnSync('mount', ['-o', 'loop,ro', image, mnt]).status, 0);
  return fn(mnt).finally(() => spawnSync('umount', [mnt]));
}

async function withTree(fn: (dir: string, tree: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rawdisk-test-'));
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'boot'), { recursive: true });
  await mkdir(join(tree, 'var', 'log'), { recursive: true });
  await mkdir(join(tree, 'etc'));
  await writeFile(join(tree, 'boot', 'vmlinuz'), 'kernel');
  await writeFile(join(tree, 'boot', 'initramfs.gz'), 'initramfs');
  await writeFile(join(tree, 'var', 'log', 'old'), 'state');
  try {
    await fn(dir, tree);
  } finally {
    // The kernel frees autoclear devices (inspect's `mount -o loop`) asynchronously: give it a moment.
    for (let waited = 0; loopsBackedBy(dir) !== '' && waited < 2000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(loopsBackedBy(dir), '', 'no loop device may be left attached');
    await rm(dir, { recursive: true, force: true });
  }
}

test(
  'an initial 20M image has the A/B layout; upgrades add versions, refusing existing labels',
  { skip: !isRoot },
  () =>
    withTree(async (dir, tree) => {
      const image = join(dir, 'disk.img');
      const env = {
        DISK_SIZE: '20M',
        INITRAMFS_PATH: 'boot/initramfs.gz',
        BOOTLOADER_CONFIG_FORMAT: 'extlinux',
      };
      assert.equal(run('rawdisk.check', [image], env).status, 0);
      const initial = run('rawdisk.write', [tree, image], env);
      assert.equal(initial.status, 0, initial.stderr);
      assert.notEqual(run('rawdisk.check', [image], env).status, 0, 'an existing image needs morph upgrade');

      await inspect(image, dir, async (mnt) => {
        assert.equal(await readlink(join(mnt, 'systems', 'default')), 'factory');
        assert.equal(await readFile(join(mnt, 'systems', 'factory', 'kernel'), 'utf8'), 'kernel');
        assert.equal(await readFile(join(mnt, 'systems', 'factory', 'initramfs'), 'utf8'), 'initramfs');
        assert.ok(existsSync(join(mnt, 'systems', 'factory', 'run', 'boot', 'initramfs.gz')));
        assert.equal(await readFile(join(mnt, 'state', 'var', 'log', 'old'), 'utf8'), 'state');
        const conf = await readFile(join(mnt, 'extlinux.conf'), 'utf8');
        assert.match(conf, /initrd \/systems\/default\/initramfs/);
        assert.match(conf, /root=UUID=[0-9a-f-]{36}/);
        const fstab = await readFile(join(mnt, 'systems', 'factory', 'orig', 'etc', 'fstab'), 'utf8');
        assert.match(fstab, /^# Morph default system layout\nUUID=\S+ {2}\/ btrfs/);
        assert.ok(existsSync(join(mnt, 'ldlinux.c32')));
      });

      const upgrade = { UPGRADE: 'yes', VERSION_LABEL: 'factory' };
      assert.equal(run('rawdisk.check', [image], upgrade).status, 0);
      const refused = run('rawdisk.write', [tree, image], upgrade);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /^ERROR: VERSION_LABEL factory already exists/m);
      const second = run('rawdisk.write', [tree, image], { UPGRADE: 'yes', VERSION_LABEL: 'v2' });
      assert.equal(second.status, 0, second.stderr);
      await inspect(image, dir, async (mnt) => {
        assert.equal(await readlink(join(mnt, 'systems', 'default')), 'v2');
        assert.ok(existsSync(join(mnt, 'systems', 'v2', 'run', 'etc', 'fstab')));
        assert.ok(existsSync(join(mnt, 'systems', 'factory', 'run')));
      });
    }),
);

test('a file already at the location is refused and left as it was, raw or qcow2', { skip: !isRoot }, () =>
  withTree(async (dir, tree) => {
    for (const format of ['raw', 'qcow2']) {
      const image = join(dir, `existing-${format}.img`);
      await writeFile(image, 'precious');
      const result = run('rawdisk.write', [tree, image], { DISK_SIZE: '64M', DISK_FORMAT: format });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /^ERROR: There is already a file at/m);
      assert.equal(await readFile(image, 'utf8'), 'precious');
    }
  }),
);

test('a DISK_SIZE too small for the tree is refused before anything is written', { skip: !isRoot }, () =>
  withTree(async (dir, tree) => {
    await writeFile(join(tree, 'big'), Buffer.alloc(24 * 1024 * 1024, 1));
    const image = join(dir, 'small.img');
    const result = run('rawdisk.write', [tree, image], { DISK_SIZE: '20M' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^ERROR: DISK_SIZE 20M is too small/m);
    assert.equal(existsSync(image), false);
  }),
);

test(
  'SIGTERM while copying removes the mount, the loop device and the half-written image',
  { skip: !isRoot },
  () =>
    withTree(async (dir, tree) => {
      for (let i = 0; i < 8; i++)
        await writeFile(join(tree, `data${i}`), Buffer.alloc(16 * 1024 * 1024, i + 1));
      const image = join(dir, 'interrupted.img');
      const child = spawn(join(EXTS, 'rawdisk.write'), [tree, image], {
        // TMPDIR: its mount point is then under this test's directory, where it is looked for.
        env: { ...process.env, DISK_SIZE: '1G', TMPDIR: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Copying the system')) child.kill('SIGTERM');
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 143, stderr);
      assert.match(stderr, /interrupted by SIGTERM/);
      assert.equal(existsSync(image), false);
      const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout;
      assert.ok(!mounts.includes(join(dir, 'rawdisk-mnt-')), mounts);
    }),
);
