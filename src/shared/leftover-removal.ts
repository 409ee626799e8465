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
  const targets = mountinfoLines()
    .map((fields) => fields[4])
    .filter((target): target is string => target !== undefined && isAtOrUnder(target, path));
  return [...new Set(targets)].sort((a, b) => b.length - a.length);
}

/**
 * Loop devices (`/dev/loopN`) whose backing file is at or under `path`
 * (deleted files included). The kernel names a backing file by the path it
 * was opened through: a device attached inside another mount namespace
 * (an extension's private one, maybe dead since) shows the path from the
 * root of its filesystem (`/yarn-run-x/f` for `/dev/shm/yarn-run-x/f`), so
 * both spellings are matched.
 */
export function loopDevicesUnder(path: string): string[] {
  const spellings = [path, pathInFilesystem(path)].filter((p): p is string => p !== undefined);
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
    if (spellings.some((p) => isAtOrUnder(backing, p))) devices.push(`/dev/${name}`);
  }
  return devices;
}

/** `path` as seen from the root of the filesystem mounted over it, when that differs. */
export function pathInFilesystem(path: string): string | undefined {
  let best: { mountPoint: string; root: string } | undefined;
  for (const fields of mountinfoLines()) {
    const [root, mountPoint] = [fields[3], fields[4]];
    if (root === undefined || mountPoint === undefined || !isAtOrUnder(path, mountPoint)) continue;
    // The longest mount point wins; of equal ones, the later (mounted on top).
    if (!best || mountPoint.length >= best.mountPoint.length) best = { mountPoint, root };
  }
  if (!best || best.mountPoint === '/') return undefined;
  const rest = path.slice(best.mountPoint.length);
  const inFilesystem = best.root === '/' ? rest || '/' : `${best.root}${rest}`;
  return inFilesystem === path ? undefined : inFilesystem;
}

function isAtOrUnder(candidate: string, path: string): boolean {
  return candidate === path || candidate.startsWith(path.endsWith('/') ? path : `${path}/`);
}

/** The fields of each line of /proc/self/mountinfo, octal escapes decoded. */
function mountinfoLines(): string[][] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) =>
      line
        .split(' ')
        .map((field) =>
          field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
            String.fromCharCode(Number.parseInt(octal, 8)),
          ),
        ),
    );
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
