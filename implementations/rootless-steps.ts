/**
 * Steps for disk images built without root (docs/spec/design.md 3.3, rawdisk
 * `ROOTLESS`): running the shipped rawdisk.write as an unprivileged user
 * (nobody, through `setpriv`, when the suite runs as root) and inspecting
 * the ext4 image with debugfs and e2fsck, never mounting it. A partitioned
 * image is read at its first partition's offset.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unprivilegedSourceDir } from '../src/shared/unprivileged-copy.js';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { describeFailure, getVar, runChecked, setVar, shellWords, varKey } from './context.js';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const rootlessRun = varKey<{ exitCode: number; stdout: string; stderr: string }>('rootless-write');

/** `$DATADIR`-relative path; the shared directory is a symlink to a world-writable one outside it. */
async function imageArgument(ctx: StepContext, image: string): Promise<string> {
  const path = ctx.path(image);
  const start = await partitionStart(ctx, path, '83');
  return start === undefined ? path : `${path}?offset=${start}`;
}

/** Byte offset of the first partition of `type` (sfdisk's hex id), undefined without a partition table. */
async function partitionStart(ctx: StepContext, path: string, type: string): Promise<number | undefined> {
  const table = await ctx.run(['sfdisk', '-J', path]);
  if (table.exitCode !== 0) return undefined;
  const partitions =
    (JSON.parse(table.stdout) as { partitiontable: { partitions?: { start: number; type: string }[] } })
      .partitiontable.partitions ?? [];
  const found = partitions.find((partition) => partition.type === type);
  check(found, `${path} has no partition of type ${type}`);
  return found.start * 512;
}

/** `mtools` image argument of the FAT16 boot partition (type e). */
async function bootPartition(ctx: StepContext, image: string): Promise<string> {
  const path = ctx.path(image);
  const start = await partitionStart(ctx, path, 'e');
  check(start !== undefined, `${image} has no partition table`);
  return `${path}@@${start}`;
}

async function debugfs(ctx: StepContext, image: string, request: string): Promise<string> {
  const result = await runChecked(ctx, ['debugfs', '-R', request, await imageArgument(ctx, image)]);
  // debugfs reports a missing path on stderr with exit code 0.
  if (/File not found by ext2_lookup|not found/.test(result.stderr)) {
    throw new StepFailure(`debugfs ${request}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** The `ls -l` line of `name` in `dir`: [inode, mode, uid, gid]. */
async function entry(ctx: StepContext, image: string, path: string): Promise<string[]> {
  const stat = await debugfs(ctx, image, `stat "${path}"`);
  const inode = /Inode: (\d+)/.exec(stat)?.[1];
  const mode = /Mode: +(\d+)/.exec(stat)?.[1];
  const owner = /User: +(\d+) +Group: +(\d+)/.exec(stat);
  const type = /Type: (\w+)/.exec(stat)?.[1];
  check(inode && mode && owner && type, `cannot read ${path} in ${image}:\n${stat}`);
  return [inode, type, owner[1] as string, owner[2] as string];
}

export default [
  step(
    'GIVEN',
    /a world-writable directory (\S+) holding a small system tree (\S+)/,
    'makes $DATADIR/DIR a symlink to a new mode-1777 directory (outside $DATADIR, removed at the end) with a tree of root-owned files: kernel, initramfs, a hard link, a symlink, var/log',
    async (ctx, dir, tree) => {
      const real = await mkdtemp(join(tmpdir(), 'rootless-'));
      ctx.defer(() => rm(real, { recursive: true, force: true }));
      await chmod(real, 0o1777);
      await symlink(real, ctx.path(dir));
      const root = join(real, tree);
      await mkdir(root, { recursive: true });
      const script =
        'mkdir -p boot etc bin var/log && echo kernel > boot/vmlinuz && echo initramfs > boot/initramfs.gz ' +
        '&& echo binary > bin/busybox && ln bin/busybox bin/sh && ln -s busybox bin/ls && echo old > var/log/old';
      await runChecked(ctx, ['sh', '-c', script], { cwd: root });
    },
  ),
  step(
    'WHEN',
    /the unprivileged user runs rawdisk\.write on (\S+) to (\S+)(?: with (.+))?/,
    'runs morphlib/exts/rawdisk.write TREE IMAGE ($DATADIR-relative) as nobody (via setpriv when root), VAR=value settings in its environment and TMPDIR in the directory of IMAGE',
    async (ctx, tree, image, settings) => {
      const env: Record<string, string> = {};
      for (const word of settings ? await shellWords(ctx, settings) : []) {
        const at = word.indexOf('=');
        check(at > 0, `not a VAR=value setting: ${word}`);
        env[word.slice(0, at)] = word.slice(at + 1);
      }
      const realImage = await realPath(ctx, ctx.path(image));
      env.TMPDIR = realImage.slice(0, realImage.lastIndexOf('/'));
      const asNobody = process.getuid?.() === 0 ? NOBODY : [];
      const result = await ctx.run(
        [
          ...asNobody,
          // A checkout nobody cannot enter (a 0700 directory) is run from a readable copy.
          join(
            unprivilegedSourceDir(ctx.srcdir, asNobody, 'morphlib/exts/rawdisk.write'),
            'morphlib/exts/rawdisk.write',
          ),
          await realPath(ctx, ctx.path(tree)),
          realImage,
        ],
        { env },
      );
      setVar(ctx, rootlessRun, result);
    },
  ),
  step('THEN', /the rootless write succeeded/, 'the last unprivileged rawdisk.write exited 0', (ctx) => {
    const result = getVar(ctx, rootlessRun);
    check(result, 'no rawdisk.write was run');
    check(result.exitCode === 0, describeFailure({ command: ['rawdisk.write'], ...result }));
  }),
  step(
    'THEN',
    /the rootless write failed with "(.*)"/,
    'the last unprivileged rawdisk.write exited non-zero with an ERROR line containing TEXT',
    (ctx, text) => {
      const result = getVar(ctx, rootlessRun);
      check(result, 'no rawdisk.write was run');
      check(result.exitCode !== 0, 'rawdisk.write succeeded');
      const error = result.stderr.split('\n').find((line) => line.startsWith('ERROR: '));
      check(error?.includes(text), `expected an ERROR line containing "${text}", stderr:\n${result.stderr}`);
    },
  ),
  step(
    'THEN',
    /the rootless write reported "(.*)"/,
    'a status line (stdout) of the last unprivileged rawdisk.write contains TEXT',
    (ctx, text) => {
      const result = getVar(ctx, rootlessRun);
      check(result?.stdout.includes(text), `no status line contains "${text}":\n${result?.stdout}`);
    },
  ),
  step(
    'THEN',
    /ext4 image (\S+) passes e2fsck/,
    'e2fsck -fn finds the ext4 filesystem of $DATADIR/IMAGE (at its first partition, if any) clean',
    async (ctx, image) => {
      const fs = await imageArgument(ctx, image);
      const type = await runChecked(ctx, [
        'blkid',
        '-p',
        '-o',
        'value',
        '-s',
        'TYPE',
        fs.replace(/\?.*/, ''),
      ]);
      check(fs.includes('?') || type.stdout.trim() === 'ext4', `${image} is not ext4: ${type.stdout}`);
      await runChecked(ctx, ['e2fsck', '-fn', fs]);
    },
  ),
  step(
    'THEN',
    /file (\S+) in ext4 image (\S+) contains "(.*)"/,
    'debugfs cat of PATH in the image contains TEXT',
    async (ctx, path, image, text) => {
      const content = await debugfs(ctx, image, `cat "${path}"`);
      check(content.includes(text), `${path} in ${image} does not contain "${text}":\n${content}`);
    },
  ),
  step(
    'THEN',
    /(\S+) in ext4 image (\S+) is a (directory|regular file)/,
    'PATH exists in the image with that type',
    async (ctx, path, image, kind) => {
      const [, type] = await entry(ctx, image, path);
      check(type === kind.split(' ')[0], `${path} in ${image} is a ${type}, not a ${kind}`);
    },
  ),
  step(
    'THEN',
    /(\S+) in ext4 image (\S+) is a symlink to (\S+)/,
    'PATH is a symbolic link with that target',
    async (ctx, path, image, target) => {
      const stat = await debugfs(ctx, image, `stat "${path}"`);
      const dest = /Fast link dest: "(.*)"/.exec(stat)?.[1];
      check(dest === target, `${path} in ${image} does not point to ${target}:\n${stat}`);
    },
  ),
  step(
    'THEN',
    /(\S+) and (\S+) in ext4 image (\S+) are one hard-linked file/,
    'both paths have the same inode',
    async (ctx, a, b, image) => {
      const [first] = await entry(ctx, image, a);
      const [second] = await entry(ctx, image, b);
      check(first === second, `${a} is inode ${first} but ${b} is inode ${second}`);
    },
  ),
  step(
    'THEN',
    /everything in directory (\S+) of ext4 image (\S+) is owned by root/,
    'every entry listed by debugfs ls -l in the directory has uid and gid 0',
    async (ctx, dir, image) => {
      const listing = await debugfs(ctx, image, `ls -l "${dir}"`);
      const lines = listing.split('\n').filter((line) => line.trim() !== '');
      check(lines.length > 2, `${dir} in ${image} is empty or missing:\n${listing}`);
      for (const line of lines) {
        const [, , , uid, gid] = line.trim().split(/\s+/);
        check(uid === '0' && gid === '0', `not owned by root in ${image}: ${line}`);
      }
    },
  ),
  step(
    'THEN',
    /file (\S+) in the boot partition of (\S+) contains "(.*)"/,
    'mtype of PATH in the FAT boot partition (type e) of $DATADIR/IMAGE contains TEXT',
    async (ctx, path, image, text) => {
      const content = (await runChecked(ctx, ['mtype', '-i', await bootPartition(ctx, image), `::${path}`]))
        .stdout;
      check(content.includes(text), `${path} in the boot partition does not contain "${text}":\n${content}`);
    },
  ),
  step(
    'THEN',
    /syslinux is installed on the bootable boot partition of (\S+)/,
    'the FAT boot partition is marked bootable and has ldlinux.sys, and the image starts with the syslinux MBR boot code',
    async (ctx, image) => {
      const table = await runChecked(ctx, ['sfdisk', '-J', ctx.path(image)]);
      const partitions = (
        JSON.parse(table.stdout) as { partitiontable: { partitions: { type: string; bootable?: boolean }[] } }
      ).partitiontable.partitions;
      check(
        partitions[0]?.type === 'e' && partitions[0].bootable,
        `the first partition is not a bootable FAT16 one:\n${table.stdout}`,
      );
      const listing = (await runChecked(ctx, ['mdir', '-a', '-i', await bootPartition(ctx, image), '::/']))
        .stdout;
      check(/ldlinux +sys/.test(listing), `no ldlinux.sys in the boot partition:\n${listing}`);
      const mbr = await ctx.run(['cmp', '-n', '440', ctx.path(image), '/usr/lib/syslinux/mbr/mbr.bin']);
      check(mbr.exitCode === 0, `the MBR boot code is not syslinux's mbr.bin: ${mbr.stdout}`);
    },
  ),
  step(
    'THEN',
    /the directory (\S+) holds only (.+)/,
    'the names in $DATADIR/DIR are exactly the space-separated NAMES (nothing half-written or staged is left)',
    async (ctx, dir, names) => {
      const found = (await readdir(ctx.path(dir))).sort();
      const expected = names.split(/\s+/).sort();
      check(found.join(' ') === expected.join(' '), `${dir} holds ${found.join(' ')}`);
    },
  ),
];

async function realPath(ctx: StepContext, path: string): Promise<string> {
  return (await runChecked(ctx, ['realpath', '-m', path])).stdout.trim();
}
