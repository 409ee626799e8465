import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { YarnError } from '../errors.js';

/** The module files named by package.json's `"yarn-run": {"steps": [...]}` in `dir`, if any. */
export function stepModulesFromPackage(dir: string): string[] {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return [];
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { 'yarn-run'?: { steps?: unknown } };
    const steps = pkg['yarn-run']?.steps;
    if (!Array.isArray(steps)) return [];
    return steps.filter((s): s is string => typeof s === 'string').map((s) => resolve(dir, s));
  } catch (err) {
    throw new YarnError('STEP_MODULE', `cannot read ${file}: ${(err as Error).message}`, {
      location: file,
      cause: err,
    });
  }
}
