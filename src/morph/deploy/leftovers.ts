/**
 * Recovery after SIGKILL (docs/deploy.md "Interrupted and killed
 * deployments"): the scratch state of a morph process records its owner in
 * its name (src/shared/owned-name.ts); every morph run, and `morph gc`,
 * removes the state whose owner is dead, with its mounts and loop devices.
 * A deployment's temp dir also records where its write extension puts its
 * output, so that the partial output beside that location goes too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissing } from '../../shared/if-present.js';
import { removeLeftover } from '../../shared/leftover-removal.js';
import { isOrphaned } from '../../shared/owned-name.js';
import { orphanedPartialsOf } from '../extensions/atomic-output.js';
import { sharedCheckoutsDir } from './shared-checkout.js';

/** What was removed, by kind. */
export interface LeftoverReport {
  /** Deploy temp dirs (`<tempdir>/deployments/deploy-*`) and partial shared checkouts. */
  tempDirs: number;
  /** Staging areas and dependency trees of builds (`<tempdir>/staging/*`). */
  stagingAreas: number;
  /** Partial pristine disk images (`.partial-rawdisk-*` in the cache). */
  partialImages: number;
  /** Partial outputs beside deployment locations (`.<name>.morph-partial-*`). */
  partialOutputs: number;
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
    partialOutputs: 0,
    mounts: 0,
    loopDevices: 0,
  };
  const remove = (
    path: string,
    kind: 'tempDirs' | 'stagingAreas' | 'partialImages' | 'partialOutputs',
  ): void => {
    const removed = removeLeftover(path);
    report[kind]++;
    report.mounts += removed.mounts;
    report.loopDevices += removed.loopDevices;
  };
  for (const path of orphansIn(join(dirs.tempdir, 'deployments'))) {
    for (const partial of partialOutputsOf(path)) remove(partial, 'partialOutputs');
    remove(path, 'tempDirs');
  }
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
  return (
    report.tempDirs +
    report.stagingAreas +
    report.partialImages +
    report.partialOutputs +
    report.mounts +
    report.loopDevices
  );
}

const OUTPUT_LOCATION = 'output-location';

/** Records, in a deployment's private temp dir, the (absolute) location its write extension writes. */
export async function recordOutputLocation(privateTemp: string, location: string): Promise<void> {
  await writeFile(join(privateTemp, OUTPUT_LOCATION), location);
}

/** The orphaned partial outputs beside the locations recorded in deploy temp dir `path`. */
function partialOutputsOf(path: string): string[] {
  return list(path).flatMap((temp) => {
    const location = visible(() => readFileSync(join(path, temp, OUTPUT_LOCATION), 'utf8'));
    // No location: the deployment was killed before its write extension started.
    return location === undefined ? [] : (visible(() => orphanedPartialsOf(location)) ?? []);
  });
}

function orphansIn(dir: string): string[] {
  return list(dir)
    .filter((name) => isOrphaned(name))
    .map((name) => join(dir, name));
}

function list(dir: string): string[] {
  return visible(() => readdirSync(dir)) ?? [];
}

/**
 * What `read()` returns, or undefined when it fails because the path is not
 * there (ENOENT, or ENOTDIR: a file where a directory was expected) or this
 * user may not read it: every morph run comes here first, and a leftover
 * another user's killed run left in a shared tempdir (`/tmp/morph_tmp`) is
 * not this run's to remove, nor a reason to fail.
 * @throws what `read` throws for anything else.
 */
function visible<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (isMissing(err) || code === 'ENOTDIR' || code === 'EACCES') return undefined;
    throw err;
  }
}
