import { statfs } from 'node:fs/promises';
import { MorphError } from '../errors.js';
import type { Settings } from './setting-table.js';

/**
 * Checks tempdir and cachedir have `tempdir-min-space` / `cachedir-min-space`
 * bytes free, summed when both are on one filesystem (docs/spec/morph.md 5.1).
 * @throws MorphError config/insufficient-space naming each path, required and available bytes
 */
export async function checkFreeSpace(
  settings: Pick<Settings, 'tempdir' | 'cachedir' | 'tempdir-min-space' | 'cachedir-min-space'>,
): Promise<void> {
  const wanted = [
    { path: settings.tempdir, min: settings['tempdir-min-space'] },
    { path: settings.cachedir, min: settings['cachedir-min-space'] },
  ].filter((w) => w.min > 0);
  const byFs = new Map<string, { paths: string[]; min: number; available: number }>();
  for (const { path, min } of wanted) {
    let stats: Awaited<ReturnType<typeof statfs>>;
    try {
      stats = await statfs(path);
    } catch (err) {
      throw new MorphError('config', 'insufficient-space', `cannot check free space of ${path}`, {
        cause: err,
      });
    }
    // Same type+size+blocks+files means the same filesystem in practice (statfs has no device id).
    const key = `${stats.type}:${stats.bsize}:${stats.blocks}:${stats.files}`;
    const entry = byFs.get(key) ?? { paths: [], min: 0, available: stats.bavail * stats.bsize };
    entry.paths.push(path);
    entry.min += min;
    byFs.set(key, entry);
  }
  const short = [...byFs.values()].filter((e) => e.available < e.min);
  if (short.length > 0) {
    const detail = short
      .map((e) => `${e.paths.join(' and ')}: ${e.min} bytes required, ${e.available} bytes available`)
      .join('; ');
    throw new MorphError('config', 'insufficient-space', `insufficient space on disk: ${detail}`, {
      hint: 'free some space or lower --tempdir-min-space / --cachedir-min-space',
    });
  }
}
