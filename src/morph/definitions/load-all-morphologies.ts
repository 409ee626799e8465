import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MorphError } from '../errors.js';
import type { Morphology } from '../model.js';
import { type LoadOptions, loadMorphology } from './load-morphology.js';

/**
 * Loads every `*.morph` file of a working tree (docs/spec/morph.md 4.1), recursively,
 * skipping the top-level `.git` directory and symbolic links, each one
 * validated. Keys are paths relative to `dir` with `/` separators (as
 * definitions refer to them, e.g. `strata/core.morph`), in sorted order;
 * errors name the same relative paths.
 *
 * @throws MorphError `definitions/read-failed` when the tree cannot be read,
 *   or any error of `loadMorphology`.
 */
export async function loadAllMorphologies(
  dir: string,
  options: LoadOptions = {},
): Promise<Map<string, Morphology>> {
  const files: string[] = [];
  await collect(dir, '', files);
  files.sort();
  const result = new Map<string, Morphology>();
  for (const file of files) {
    let data: Buffer;
    try {
      // Read synchronously: hundreds of small files take milliseconds this way, each
      // `await readFile` a thread-pool round trip.
      data = readFileSync(join(dir, file));
    } catch (cause) {
      throw new MorphError('definitions', 'read-failed', `Cannot read morphology ${join(dir, file)}`, {
        cause,
      });
    }
    result.set(file, loadMorphology(data, file, options));
  }
  return result;
}

async function collect(root: string, relative: string, files: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(join(root, relative), { withFileTypes: true });
  } catch (cause) {
    throw new MorphError('definitions', 'read-failed', `Cannot list directory ${join(root, relative)}`, {
      cause,
    });
  }
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (relative === '' && entry.name === '.git') continue;
      await collect(root, path, files);
    } else if (entry.isFile() && entry.name.endsWith('.morph')) {
      files.push(path);
    }
  }
}
