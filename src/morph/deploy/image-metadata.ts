import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetadataRecord } from '../build/assemble/metadata-record.js';
import { MorphError } from '../errors.js';

/** A `*.meta` record of a system image, with the file it came from. */
export type ImageRecord = Partial<MetadataRecord> & { file: string };

/**
 * Reads every `*.meta` of a `baserock/` metadata directory (JSON; others,
 * like `deployment.meta`, are kept too: callers filter by `kind`).
 * @throws MorphError `deploy/bad-metadata-dir` when it cannot be read or a
 *   file is not JSON.
 */
export async function readImageMetadata(dir: string): Promise<ImageRecord[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.meta')).sort();
  } catch (cause) {
    throw new MorphError('deploy', 'bad-metadata-dir', `cannot read metadata directory ${dir}`, { cause });
  }
  return Promise.all(
    names.map(async (name) => {
      const file = join(dir, name);
      try {
        return { ...(JSON.parse(await readFile(file, 'utf8')) as Partial<MetadataRecord>), file };
      } catch (cause) {
        throw new MorphError('deploy', 'bad-metadata-dir', `${file} is not a JSON metadata record`, {
          cause,
        });
      }
    }),
  );
}

/**
 * The one record of kind `system`.
 * @throws MorphError `deploy/no-system-metadata`, `deploy/multiple-system-metadata`.
 */
export function systemRecord(records: readonly ImageRecord[], dir: string): ImageRecord {
  const systems = records.filter((r) => r.kind === 'system');
  if (systems.length === 0) {
    throw new MorphError('deploy', 'no-system-metadata', `No system found in metadata directory ${dir}`);
  }
  if (systems.length > 1) {
    throw new MorphError(
      'deploy',
      'multiple-system-metadata',
      `Multiple systems found in metadata directory ${dir}`,
      {
        hint: systems.map((s) => s.file).join(', '),
      },
    );
  }
  return systems[0]!;
}
