/**
 * yarn-run's configuration in `package.json`, found the way npm finds a
 * project: the nearest `package.json` from the working directory upward.
 *
 *     "yarn-run": { "steps": ["steps/index.ts"], "jobs": 2 }
 *
 * `steps` are relative to that package.json's directory; `jobs` is a
 * positive integer or `"auto"` (one per CPU). A package.json without a
 * `"yarn-run"` key means no configuration (serial, no step modules).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { YarnError } from '../errors.js';

/** What package.json says about yarn-run. */
export interface PackageConfig {
  /** The package.json it came from, if any. */
  readonly file?: string;
  /** Absolute paths of the step modules. */
  readonly steps: readonly string[];
  /** Scenarios at once when `-j` is not given. */
  readonly jobs?: number | 'auto';
}

/** The nearest `package.json` at or above `dir`, if any. */
export function nearestPackageJson(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const file = join(d, 'package.json');
    if (existsSync(file)) return file;
    if (dirname(d) === d) return undefined;
  }
}

function bad(file: string, message: string, cause?: unknown): YarnError {
  return new YarnError('CONFIG', `${file}: "yarn-run" ${message}`, {
    location: file,
    hint: 'write "yarn-run": { "steps": ["path/to/steps.ts"], "jobs": 2 }',
    cause,
  });
}

/**
 * Reads the configuration of the nearest package.json at or above `dir`.
 * @throws YarnError CONFIG when the file is not JSON or the section is malformed.
 */
export function readPackageConfig(dir: string): PackageConfig {
  const file = nearestPackageJson(dir);
  if (!file) return { steps: [] };
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new YarnError('CONFIG', `cannot read ${file}: ${(err as Error).message}`, {
      location: file,
      cause: err,
    });
  }
  const section = (pkg as Record<string, unknown> | null)?.['yarn-run'];
  if (section === undefined) return { file, steps: [] };
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw bad(file, 'must be an object');
  }
  const { steps = [], jobs } = section as { steps?: unknown; jobs?: unknown };
  if (!Array.isArray(steps) || !steps.every((s) => typeof s === 'string')) {
    throw bad(file, '"steps" must be a list of file names');
  }
  if (jobs !== undefined && jobs !== 'auto' && !(Number.isInteger(jobs) && (jobs as number) >= 1)) {
    throw bad(file, `"jobs" must be a positive integer or "auto", not ${JSON.stringify(jobs)}`);
  }
  const base = dirname(file);
  return {
    file,
    steps: steps.map((s: string) => resolve(base, s)),
    jobs: jobs as number | 'auto' | undefined,
  };
}
