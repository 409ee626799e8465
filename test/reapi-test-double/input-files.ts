import { randomUUID } from 'node:crypto';
import { chmod, link, lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The test double's store of input files on disk, as a worker's local CAS
 * cache: each content and mode is written once, and an action's input root
 * gets hard links to it instead of a copy of every file (the dependency
 * trees of morph's chunks are most of each input root, the same for every
 * chunk of a stratum). An action that writes to an input file in place
 * changes the stored file's mtime or size (or its mode, with `chmod`); such a file is then written
 * afresh for the next action, so one action's writes never reach another
 * that starts later.
 */
export class InputFiles {
  private readonly stored = new Map<string, Promise<Stored>>();

  constructor(private readonly dir: string) {}

  /** Makes `path` a file with `data` and permission bits `mode` (a hard link to the store, else a copy). */
  async place(path: string, hash: string, data: Buffer, mode: number): Promise<void> {
    const key = `${hash}.${mode.toString(8)}`;
    let entry = this.stored.get(key);
    if (entry) {
      const known = await entry.catch(() => undefined);
      const now = known && (await lstat(known.path, { bigint: true }).catch(() => undefined));
      if (!known || !now || stamp(now) !== known.stamp) entry = undefined;
    }
    if (!entry) {
      entry = this.store(key, data, mode);
      this.stored.set(key, entry);
    }
    const { path: stored } = await entry;
    try {
      await link(stored, path);
    } catch {
      // EMLINK (too many links), or the store was changed under us: a copy of its own.
      await writeFile(path, data);
      await chmod(path, mode);
    }
  }

  private async store(key: string, data: Buffer, mode: number): Promise<Stored> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, key);
    const temporary = join(this.dir, `.${randomUUID()}`);
    try {
      await writeFile(temporary, data);
      await chmod(temporary, mode);
      await rename(temporary, path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
    return { path, stamp: stamp(await lstat(path, { bigint: true })) };
  }
}

/** A stored file and what must not have changed for it to be linked again. */
interface Stored {
  readonly path: string;
  readonly stamp: string;
}

/** What an in-place write, `chmod` or `chown` of a stored file changes (linking it changes only its ctime). */
function stamp(stats: { size: bigint; mtimeNs: bigint; mode: bigint; uid: bigint; gid: bigint }): string {
  return `${stats.size}:${stats.mtimeNs}:${stats.mode}:${stats.uid}:${stats.gid}`;
}
