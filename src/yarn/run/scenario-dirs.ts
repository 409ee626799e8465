/**
 * A scenario's directories, the reference's layout: `TEMP/<nice name>/datadir`
 * with `datadir/HOME`, made before its first step and removed after it.
 */
import { mkdirSync, rm, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { YarnError } from '../errors.js';
import type { MatchedScenario } from '../model.js';
import { niceName } from './nice-name.js';

/** Where scenario directories go (the part of the run's settings they need). */
export interface DirSettings {
  /** --tempdir (absolute); shared by all scenarios and wiped after each (reference behaviour). */
  readonly tempdir?: string;
  /** Parent of per-scenario temp roots when no --tempdir. */
  readonly tempRoot: string;
  /** True when scenario dirs go straight under `tempRoot` (their nice names are all different). */
  readonly sharedTempRoot?: boolean;
  /** More than one lane runs scenarios at once. */
  readonly parallel?: boolean;
  /** 1 for the first run of a scenario, 2 for its first retry (`--retry`), ... */
  readonly attempt?: number;
}

/** One scenario's directories. */
export interface ScenarioDirs {
  /** The scenario's temp root (`--tempdir`, the run's root, or a per-scenario one). */
  readonly temp: string;
  readonly scenarioDir: string;
  readonly datadir: string;
}

/** Recursive deletions left running in the background; the run awaits them at its end. */
export class BackgroundDeletes {
  private readonly pending: Promise<void>[] = [];

  /** Starts deleting `path` recursively. */
  add(path: string): void {
    this.pending.push(new Promise((done) => rm(path, { recursive: true, force: true }, () => done())));
  }

  /** Resolves when every deletion started so far has ended. */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }
}

/**
 * Makes `matched`'s directories.
 * @throws YarnError TEMP_DIR when the scenario directory exists (the reference crashes there too).
 */
export function makeScenarioDirs(matched: MatchedScenario, settings: DirSettings): ScenarioDirs {
  const attempt = settings.attempt ?? 1;
  let temp: string;
  if (settings.tempdir) {
    temp = settings.tempdir;
    mkdirSync(temp, { recursive: true });
  } else if (settings.sharedTempRoot && attempt === 1) {
    // Nice names are unique in this run: TEMP/<nice>/datadir directly under the run root.
    temp = settings.tempRoot;
  } else {
    // A retry gets its own directory: the failed attempt's may still be being deleted (or kept).
    temp = join(settings.tempRoot, attempt > 1 ? `${matched.index}.${attempt}` : String(matched.index));
    mkdirSync(temp);
  }
  const scenarioDir = join(temp, niceName(matched.scenario.name));
  const datadir = join(scenarioDir, 'datadir');
  try {
    mkdirSync(scenarioDir);
  } catch (err) {
    const location = matched.scenario.location;
    throw new YarnError('TEMP_DIR', `[Errno 17] File exists: '${scenarioDir}'`, {
      location: `${location.file}:${location.line}`,
      cause: err,
    });
  }
  mkdirSync(datadir);
  mkdirSync(join(datadir, 'HOME'));
  return { temp, scenarioDir, datadir };
}

/**
 * Removes `top` when the scenario left its layout empty (`HOME`, `datadir`,
 * the scenario dir and maybe `top`): a few rmdir calls instead of a recursive
 * delete. Returns false when something is in the way (the caller then
 * deletes recursively in the background).
 */
export function removeEmptyLayout(top: string, datadir: string): boolean {
  try {
    rmdirSync(join(datadir, 'HOME'));
    rmdirSync(datadir);
    let dir = dirname(datadir);
    rmdirSync(dir);
    while (dir !== top) {
      dir = dirname(dir);
      rmdirSync(dir);
    }
    return true;
  } catch {
    return false;
  }
}

/** Removes a finished scenario's directories (the run's own, or this scenario's part of --tempdir). */
export function removeScenarioDirs(
  dirs: ScenarioDirs,
  settings: DirSettings,
  deletes: BackgroundDeletes,
): void {
  if (settings.tempdir) {
    // The reference removes the whole --tempdir after each scenario; with
    // parallel lanes only this scenario's part can go.
    rmSync(settings.parallel ? dirs.scenarioDir : resolve(dirs.temp), { recursive: true, force: true });
    return;
  }
  const top = settings.sharedTempRoot && (settings.attempt ?? 1) === 1 ? dirs.scenarioDir : dirs.temp;
  if (!removeEmptyLayout(top, dirs.datadir)) deletes.add(top);
}
