/**
 * Steps about disk images: whether the data directory has room for them, and
 * loop-mounting one (btrfs images at their top-level subvolume, so the
 * rawdisk layout `systems/...`, `extlinux.conf` is visible). A mount is
 * always undone when the scenario ends, also if it fails.
 */
import { mkdir, readFile, statfs } from 'node:fs/promises';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { describeFailure, getVar, runChecked, setVar, varKey } from './context.js';

const mountsVar = varKey<Set<string>>('mounted-disk-images');

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export default [
  step(
    'ASSUMING',
    /there is space for (\d+) (\d+)([kmgt]?)b? disk images?/,
    'checks that $DATADIR has room for COUNT images of SIZE (skips the scenario otherwise)',
    async (ctx, count, size, unit) => {
      const needed = Number(count) * Number(size) * (SIZE_UNITS[unit.toUpperCase()] ?? 1);
      const fs = await statfs(ctx.datadir);
      const available = fs.bavail * fs.bsize;
      check(available >= needed, `${ctx.datadir} has ${available} bytes free, ${needed} needed`);
    },
  ),
  step(
    ['WHEN', 'GIVEN'],
    /disk image (\S+) is mounted at (\S+)/,
    'loop-mounts $DATADIR/IMAGE at $DATADIR/DIR (btrfs: top-level subvolume); unmounted at the end',
    async (ctx, image, dir) => {
      const mountpoint = ctx.path(dir);
      await mkdir(mountpoint, { recursive: true });
      const type = await ctx.run(['blkid', '-o', 'value', '-s', 'TYPE', ctx.path(image)]);
      const options = type.stdout.trim() === 'btrfs' ? 'loop,subvolid=5' : 'loop';
      await runChecked(ctx, ['mount', '-o', options, ctx.path(image), mountpoint]);
      let mounts = getVar(ctx, mountsVar);
      if (!mounts) {
        const all = new Set<string>();
        mounts = all;
        setVar(ctx, mountsVar, all);
        ctx.defer(async () => {
          for (const path of [...all].reverse()) await unmount(ctx, path, all);
        });
      }
      mounts.add(mountpoint);
    },
  ),
  step(
    ['FINALLY', 'WHEN'],
    /(\S+) is unmounted/,
    'unmounts $DATADIR/DIR (nothing to do if it is not mounted, e.g. after an earlier failure)',
    async (ctx, dir) => {
      const mountpoint = ctx.path(dir);
      if (!(await isMountPoint(mountpoint))) {
        ctx.log(`${mountpoint} is not mounted`);
        getVar(ctx, mountsVar)?.delete(mountpoint);
        return;
      }
      await unmount(ctx, mountpoint, getVar(ctx, mountsVar) ?? new Set());
    },
  ),
];

/** Whether `path` is a mount point (per /proc/self/mounts, whose fields escape blanks as octal). */
async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts
    .split('\n')
    .map((line) =>
      (line.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) =>
        String.fromCharCode(parseInt(octal, 8)),
      ),
    )
    .includes(path);
}

/** Unmounts (retrying lazily if busy) and forgets the mount point. */
async function unmount(ctx: StepContext, mountpoint: string, mounts: Set<string>): Promise<void> {
  const result = await ctx.run(['umount', mountpoint]);
  if (result.exitCode !== 0) {
    const lazy = await ctx.run(['umount', '-l', mountpoint]);
    if (lazy.exitCode !== 0) throw new StepFailure(describeFailure(result));
  }
  mounts.delete(mountpoint);
}
