import { randomUUID } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  private readonly stored = new Map<string, Stored>();

  constructor(private readonly dir: string) {}

  /**
   * Makes `path` a file with `data` and permission bits `mode` (a hard link
   * to the store, else a copy). Synchronous: an input root is thousands of
   * files, and the double shares the machine's cores with the client it
   * serves (asynchronous calls cost several times the system call).
   */
  place(path: string, hash: string, data: Buffer, mode: number): void {
    const key = `${hash}.${mode.toString(8)}`;
    let known = this.stored.get(key);
    if (known) {
      const now = lstatSync(known.path, { bigint: true, throwIfNoEntry: false });
      if (!now || stamp(now) !== known.stamp) known = undefined;
    }
    if (!known) {
      known = this.store(key, data, mode);
      this.stored.set(key, known);
    }
    try {
      linkSync(known.path, path);
    } catch {
      // EMLINK (too many links), or the store was changed under us: a copy of its own.
      writeFileSync(path, data);
      chmodSync(path, mode);
    }
  }

  private store(key: string, data: Buffer, mode: number): Stored {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, key);
    const temporary = join(this.dir, `.${randomUUID()}`);
    try {
      writeFileSync(temporary, data);
      chmodSync(temporary, mode);
      renameSync(temporary, path);
    } catch (err) {
      rmSync(temporary, { force: true });
      throw err;
    }
    return { path, stamp: stamp(lstatSync(path, { bigint: true })) };
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
