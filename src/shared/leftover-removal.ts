/**
 * Removing what a killed process left at a path: the mounts at or under it
 * (deepest first), the loop devices whose backing file is under it, then the
 * files themselves (`rm -rf --one-file-system`, so a mount that cannot be
 * undone is never descended into).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** What one removal undid. */
export interface RemovedLeftover {
  mounts: number;
  loopDevices: number;
}

/** Mount points at or under `path`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(path: string): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const targets = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    )
    .filter((target) => target === path || target.startsWith(`${path}/`));
  return [...new Set(targets)].sort((a, b) => b.length - a.length);
}

/** Loop devices (`/dev/loopN`) whose backing file is at or under `path` (deleted files included). */
export function loopDevicesUnder(path: string): string[] {
  const devices: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/sys/block').filter((name) => name.startsWith('loop'));
  } catch {
    return [];
  }
  for (const name of names) {
    let backing = '';
    try {
      backing = readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
    } catch {
      continue; // not attached
    }
    backing = backing.replace(/ \(deleted\)$/, '');
    if (backing === path || backing.startsWith(`${path}/`)) devices.push(`/dev/${name}`);
  }
  return devices;
}

/**
 * Unmounts everything at or under `path`, detaches the loop devices backed
 * by files under it and removes it; never throws (what cannot be undone is
 * left, and the next run tries again).
 */
export function removeLeftover(path: string): RemovedLeftover {
  const mounts = mountsUnder(path);
  for (const target of mounts) {
    if (spawnSync('umount', [target], { stdio: 'ignore' }).status !== 0) {
      spawnSync('umount', ['--lazy', target], { stdio: 'ignore' });
    }
  }
  const loops = loopDevicesUnder(path);
  for (const device of loops) spawnSync('losetup', ['-d', device], { stdio: 'ignore' });
  spawnSync('rm', ['-rf', '--one-file-system', path], { stdio: 'ignore' });
  return { mounts: mounts.length, loopDevices: loops.length };
}
