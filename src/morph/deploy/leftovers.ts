/**
 * Recovery after SIGKILL (docs/deploy.md "Interrupted and killed
 * deployments"): the scratch state of a morph process records its owner in
 * its name (src/shared/owned-name.ts); every morph run, and `morph gc`,
 * removes the state whose owner is dead, with its mounts and loop devices.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeLeftover } from '../../shared/leftover-removal.js';
import { isOrphaned } from '../../shared/owned-name.js';
import { sharedCheckoutsDir } from './shared-checkout.js';

/** What was removed, by kind. */
export interface LeftoverReport {
  /** Deploy temp dirs (`<tempdir>/deployments/deploy-*`) and partial shared checkouts. */
  tempDirs: number;
  /** Staging areas and dependency trees of builds (`<tempdir>/staging/*`). */
  stagingAreas: number;
  /** Partial pristine disk images (`.partial-rawdisk-*` in the cache). */
  partialImages: number;
  mounts: number;
  loopDevices: number;
}

/**
 * Removes the leftovers of dead morph processes under `tempdir` and
 * `cachedir`; what live processes own is kept.
 */
export function reclaimLeftovers(dirs: { tempdir: string; cachedir: string }): LeftoverReport {
  const report: LeftoverReport = {
    tempDirs: 0,
    stagingAreas: 0,
    partialImages: 0,
    mounts: 0,
    loopDevices: 0,
  };
  const remove = (path: string, kind: 'tempDirs' | 'stagingAreas' | 'partialImages'): void => {
    const removed = removeLeftover(path);
    report[kind]++;
    report.mounts += removed.mounts;
    report.loopDevices += removed.loopDevices;
  };
  for (const path of orphansIn(join(dirs.tempdir, 'deployments'))) remove(path, 'tempDirs');
  for (const path of orphansIn(join(dirs.tempdir, 'staging'))) remove(path, 'stagingAreas');
  const checkouts = sharedCheckoutsDir(dirs.cachedir);
  for (const path of orphansIn(checkouts)) remove(path, 'tempDirs');
  for (const revision of list(checkouts)) {
    for (const path of orphansIn(join(checkouts, revision))) remove(path, 'partialImages');
  }
  return report;
}

/** The total number of things removed. */
export function countLeftovers(report: LeftoverReport): number {
  return report.tempDirs + report.stagingAreas + report.partialImages + report.mounts + report.loopDevices;
}

function orphansIn(dir: string): string[] {
  return list(dir)
    .filter((name) => isOrphaned(name))
    .map((name) => join(dir, name));
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
