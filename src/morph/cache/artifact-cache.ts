import { mkdir, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError, runCommand } from '../../shared/exec.js';
import { ifPresent, readFileIfPresent, statIfPresent } from '../../shared/if-present.js';
import { remembered } from '../../shared/remembered.js';
import { MorphError } from '../errors.js';
import { artifactRef } from './artifact-ref.js';
import { OstreeWorker } from './ostree-worker.js';
import { serialiseWrites } from './write-queue.js';

/** The three kinds of artifact morph stores. */
export type ArtifactKind = 'chunk' | 'stratum' | 'system';

/** What to record with a committed artifact. */
export interface CommitOptions {
  /** One-line commit subject (e.g. `test-chunk-bins 1a2b...`). */
  subject: string;
  /** String metadata stored in the commit (`ostree show --print-metadata-key`). */
  metadata?: Record<string, string>;
  /** Move files into the repository instead of copying them (the tree is deleted). */
  consume?: boolean;
}

/** One tree to commit with {@link ArtifactCache.commitTrees}. */
export interface TreeCommit extends CommitOptions {
  dir: string;
  ref: string;
}

/** How to check an artifact out. */
export interface CheckoutOptions {
  /** Merge into an existing directory, later files replacing earlier ones. */
  union?: boolean;
  /** Hard-link files from the repository (falls back to copies across filesystems). */
  hardlink?: boolean;
}

/**
 * The local artifact cache: one OSTree repository at `<cachedir>/artifacts/repo`
 * (`bare` as root, `bare-user` otherwise) plus per-source build logs and
 * timing records beside it (`<cachedir>/artifacts/<key>.build-log`, `<key>.meta`).
 * Each artifact is a commit under the ref {@link artifactRef}.
 */
export class ArtifactCache {
  /** `<cachedir>/artifacts`. */
  readonly dir: string;
  /** The OSTree repository path. */
  readonly repoPath: string;
  /**
   * `<cachedir>/artifacts/repo.lock`: every write to the repository holds an
   * exclusive flock on it (`writer`), so that morph processes sharing a cache
   * never write at once (concurrent `ostree` writers were seen to race on
   * the repository's staging directories).
   */
  readonly writeLockPath: string;

  /** Layered commits made by `layered`, by their list of revisions. */
  private readonly layers = new Map<string, Promise<string>>();

  /** The libostree writer: undefined until the first write, null where none can run. */
  private worker?: OstreeWorker | null;

  private constructor(dir: string) {
    this.dir = dir;
    this.repoPath = join(dir, 'repo');
    this.writeLockPath = join(dir, 'repo.lock');
  }

  /** `ostree ARGS` on this repository, holding the write lock (for commands that write). */
  writer(args: readonly string[]): string[] {
    return ['flock', this.writeLockPath, 'ostree', `--repo=${this.repoPath}`, ...args];
  }

  /**
   * Opens (creating if needed) the artifact cache under `cachedir`.
   * @throws MorphError `cache/init-failed` when the repository cannot be created.
   */
  static async open(cachedir: string): Promise<ArtifactCache> {
    const cache = new ArtifactCache(join(cachedir, 'artifacts'));
    if (await exists(join(cache.repoPath, 'config'))) return cache;
    await mkdir(cache.dir, { recursive: true });
    const mode = process.getuid?.() === 0 ? 'bare' : 'bare-user';
    try {
      await runCommand(['ostree', `--repo=${cache.repoPath}`, 'init', `--mode=${mode}`]);
    } catch (err) {
      throw new MorphError('cache', 'init-failed', `cannot create artifact cache in ${cache.repoPath}`, {
        cause: err,
      });
    }
    return cache;
  }

  /** The ref of an artifact: `artifacts/<key>/<kind>/<escaped name>`. */
  ref(cacheKey: string, kind: ArtifactKind, name: string): string {
    return artifactRef(cacheKey, kind, name);
  }

  /** True when the artifact is in the local repository (touches it, for `gc`). */
  async has(cacheKey: string, kind: ArtifactKind, name: string): Promise<boolean> {
    const file = this.refFile(this.ref(cacheKey, kind, name));
    if (!(await exists(file))) return false;
    const now = new Date();
    await ifPresent(() => utimes(file, now, now)); // removed meanwhile by gc: nothing to mark
    return true;
  }

  /** Marks a ref as used now (`gc` keeps what was used recently). */
  async touch(ref: string): Promise<void> {
    const now = new Date();
    await ifPresent(() => utimes(this.refFile(ref), now, now));
  }

  /** The commit checksum `ref` points at, or undefined when there is no such ref (no side effects). */
  async resolveRef(ref: string): Promise<string | undefined> {
    const text = (await readFileIfPresent(this.refFile(ref))) ?? '';
    return /^[0-9a-f]{64}$/.test(text.trim()) ? text.trim() : undefined;
  }

  /** True when the ref exists locally (no side effects). */
  async hasRef(ref: string): Promise<boolean> {
    return exists(this.refFile(ref));
  }

  /**
   * Commits `dir` as the artifact `ref` and returns the commit checksum.
   * @throws MorphError `cache/commit-failed`.
   */
  async commitTree(
    dir: string,
    ref: string,
    options: CommitOptions & { linkCheckoutSpeedup?: boolean },
  ): Promise<string> {
    const { linkCheckoutSpeedup, ...commit } = options;
    const [checksum] = await this.commitTrees([{ dir, ref, ...commit }], { linkCheckoutSpeedup });
    return checksum as string;
  }

  /**
   * Commits several trees (one transaction when the libostree worker runs)
   * and returns their checksums. Commits are orphans with a fixed timestamp.
   * `linkCheckoutSpeedup`: the trees are mostly hard links into this
   * repository (checkouts), which are then not re-read.
   * @throws MorphError `cache/commit-failed`.
   */
  async commitTrees(
    trees: readonly TreeCommit[],
    options: { linkCheckoutSpeedup?: boolean } = {},
  ): Promise<string[]> {
    if (trees.length === 0) return [];
    try {
      return await serialiseWrites(this.repoPath, async () => {
        const worker = this.libostree();
        if (worker) {
          return worker.commit(trees, options);
        }
        const checksums: string[] = [];
        for (const tree of trees) checksums.push(await this.commitWithCli(tree, options));
        return checksums;
      });
    } catch (err) {
      const refs = trees.map((t) => t.ref).join(', ');
      throw new MorphError('cache', 'commit-failed', `cannot store artifact ${refs}: ${errorText(err)}`, {
        cause: err,
      });
    }
  }

  /** Stops the libostree worker (it is restarted by the next write). */
  close(): void {
    this.worker?.close();
    this.worker = undefined;
  }

  private libostree(): OstreeWorker | undefined {
    if (this.worker === undefined)
      this.worker = OstreeWorker.forRepo(this.repoPath, this.writeLockPath) ?? null;
    return this.worker ?? undefined;
  }

  private async commitWithCli(tree: TreeCommit, options: { linkCheckoutSpeedup?: boolean }): Promise<string> {
    const argv = this.writer([
      'commit',
      `--tree=dir=${tree.dir}`,
      `--branch=${tree.ref}`,
      '--parent=none',
      '--no-bindings',
      `--subject=${tree.subject}`,
      // Artifacts can always be rebuilt: not syncing every object makes commits
      // many times faster (see bench/build/staging-area.ts).
      '--fsync=false',
      '--timestamp=1991-08-25 00:00:00+00:00',
    ]);
    if (options.linkCheckoutSpeedup) argv.push('--link-checkout-speedup');
    if (tree.consume) argv.push('--consume');
    for (const [key, value] of Object.entries(tree.metadata ?? {})) {
      argv.push(`--add-metadata-string=${key}=${value}`);
    }
    return (await runCommand(argv)).stdout.trim();
  }

  /**
   * Checks `ref` out into `dest` (which must not exist unless `union`).
   * @throws MorphError `cache/checkout-failed`.
   */
  async checkout(ref: string, dest: string, options: CheckoutOptions = {}): Promise<void> {
    // Checkouts are scratch trees (staging areas, deploy trees): never worth an fsync.
    const base = ['ostree', `--repo=${this.repoPath}`, 'checkout', '--fsync=false'];
    if (options.union) base.push('--union');
    const tail = [ref, dest];
    try {
      if (options.hardlink) {
        // -H refuses to copy; a cache on another filesystem than the
        // destination then needs a second, copying attempt.
        const linked = await runCommand([...base, '-H', ...tail], { allowFailure: true });
        if (linked.exitCode === 0) return;
      }
      await runCommand([...base, ...tail]);
    } catch (err) {
      throw new MorphError('cache', 'checkout-failed', `cannot check out ${ref}: ${errorText(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * Checks several artifacts out into `dest` as one tree, later files
   * replacing earlier ones and directories merging: the refs are first
   * layered into one unreferenced commit (`ostree commit --tree=ref=...`,
   * metadata only, no file is read), which is then checked out in one go.
   * Unreferenced commits are removed by `gc`.
   * @throws MorphError `cache/commit-failed`, `cache/checkout-failed`.
   */
  async checkoutMany(refs: readonly string[], dest: string, options: CheckoutOptions = {}): Promise<void> {
    if (refs.length === 0) return;
    if (refs.length === 1) return this.checkout(refs[0] as string, dest, options);
    const layered = await this.layer(refs);
    await this.checkout(layered, dest, options);
  }

  /**
   * Layers `revs` (refs or checksums) into one unreferenced orphan commit,
   * later files replacing earlier ones and directories merging (metadata
   * only, no file is read), and returns its checksum. `gc` removes it.
   * @throws MorphError `cache/commit-failed`.
   */
  async layer(revs: readonly string[]): Promise<string> {
    try {
      return await serialiseWrites(this.repoPath, async () => {
        const worker = this.libostree();
        if (worker) return worker.layer(revs);
        const argv = this.writer(['commit', '--orphan', '--fsync=false']);
        argv.push('--subject=layers', '--timestamp=1991-08-25 00:00:00+00:00');
        for (const rev of revs) argv.push(`--tree=ref=${rev}`);
        return (await runCommand(argv)).stdout.trim();
      });
    } catch (err) {
      throw new MorphError(
        'cache',
        'commit-failed',
        `cannot combine ${revs.length} artifacts: ${errorText(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * `layer(revs)`, remembered for the life of this object: asking again for
   * the same list (or asking early, to have it ready) costs nothing more.
   */
  layered(revs: readonly string[]): Promise<string> {
    return remembered(this.layers, revs.join('\n'), () => this.layer(revs));
  }

  /** A metadata string of the commit at `ref`, or undefined when absent. */
  async readMetadata(ref: string, key: string): Promise<string | undefined> {
    const result = await runCommand(
      ['ostree', `--repo=${this.repoPath}`, 'show', `--print-metadata-key=${key}`, ref],
      { allowFailure: true },
    );
    if (result.exitCode !== 0) return undefined;
    return parseGVariantString(result.stdout.trim());
  }

  /**
   * Reads one file of an artifact.
   * @throws MorphError `cache/read-failed`.
   */
  async readFile(ref: string, path: string): Promise<string> {
    try {
      return (await runCommand(['ostree', `--repo=${this.repoPath}`, 'cat', ref, path])).stdout;
    } catch (err) {
      throw new MorphError('cache', 'read-failed', `cannot read ${path} from ${ref}: ${errorText(err)}`, {
        cause: err,
      });
    }
  }

  /** Every artifact ref in the repository. */
  async listRefs(): Promise<string[]> {
    const result = await runCommand(['ostree', `--repo=${this.repoPath}`, 'refs'], { allowFailure: true });
    return result.stdout.split('\n').filter((line) => line.startsWith('artifacts/'));
  }

  /** Last time an artifact was stored or looked up (for `gc`). */
  async lastUsed(ref: string): Promise<Date | undefined> {
    return (await statIfPresent(this.refFile(ref)))?.mtime;
  }

  /**
   * Deletes refs and the objects only they reached.
   * @throws MorphError `cache/prune-failed`.
   */
  async deleteRefs(refs: readonly string[]): Promise<void> {
    try {
      for (const ref of refs) {
        await runCommand(this.writer(['refs', '--delete', ref]));
      }
      await runCommand(this.writer(['prune', '--refs-only', '--depth=0']));
    } catch (err) {
      throw new MorphError('cache', 'prune-failed', `cannot prune the artifact cache: ${errorText(err)}`, {
        cause: err,
      });
    }
  }

  /** `<cachedir>/artifacts/<key>.build-log`. */
  buildLogPath(cacheKey: string): string {
    return join(this.dir, `${cacheKey}.build-log`);
  }

  /** `<cachedir>/artifacts/<key>.meta` (build timing record). */
  sourceMetaPath(cacheKey: string): string {
    return join(this.dir, `${cacheKey}.meta`);
  }

  /** Removes per-source side files of a cache key. */
  async removeSideFiles(cacheKey: string): Promise<void> {
    await rm(this.buildLogPath(cacheKey), { force: true });
    await rm(this.sourceMetaPath(cacheKey), { force: true });
  }

  private refFile(ref: string): string {
    return join(this.repoPath, 'refs', 'heads', ref);
  }
}

/** Decodes the GVariant text form of a string (`'abc'`) as printed by `ostree show`. */
export function parseGVariantString(text: string): string {
  const match = /^'(.*)'$|^"(.*)"$/s.exec(text);
  const body = match ? (match[1] ?? match[2] ?? '') : text;
  return body.replace(/\\(.)/g, '$1');
}

async function exists(path: string): Promise<boolean> {
  return (await statIfPresent(path)) !== undefined;
}

function errorText(err: unknown): string {
  if (err instanceof CommandError && err.result) return err.result.stderr.trim() || err.message;
  return err instanceof Error ? err.message : String(err);
}
