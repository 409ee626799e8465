import { rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
