import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CommandOptions, CommandResult } from '../../shared/exec.js';
import { MorphError } from '../errors.js';
import { CommitTreeMemo } from './commit-tree-memo.js';
import { escapeRepoUrl } from './escape-repo-url.js';
import { GitBatch, type GitObject } from './git-batch.js';
import { gitOutput } from './git-output.js';
import { hasObjectFile } from './object-presence.js';
import type { RepoAliasResolver } from './repo-alias.js';

/**
 * Clones and fetches run at a lower CPU priority: `morph build` starts
 * building strata while the other chunk repositories are still being cloned,
 * and those builds are what the user waits for. On an idle machine it makes
 * no difference.
 */
export const BACKGROUND = ['nice', '-n', '10'] as const;

/** A repository as present in the git cache. */
export interface CachedRepo {
  /** The name as written (`test:morphs`). */
  readonly name: string;
  /** Its pull URL. */
  readonly url: string;
  /** The bare mirror, or for `file://` repos the repository itself. */
  readonly path: string;
}

/** A ref resolved in the git cache. */
export interface ResolvedRef {
  readonly commit: string;
  readonly tree: string;
}

/** What the git cache needs from the application. */
export interface GitCacheHost {
  readonly cachedir: string;
  readonly tarballServer: string;
  readonly noGitUpdate: boolean;
  readonly aliases: RepoAliasResolver;
  readonly status: { normal(message: string): void; chatty(message: string): void };
  /** Runs a command that changes things (echoed as `# cmd` when verbose). */
  runApp(argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
}

const SHA1 = /^[0-9a-f]{40}$/;

/** How many `git cat-file --batch` processes stay open at once (least recently used ones close). */
const OPEN_BATCHES = 16;

/**
 * morph's private bare mirrors under `<cachedir>/gits` (docs/spec/morph.md 3.3).
 * `file://` repositories are used in place and never fetched. Each mirror
 * is updated at most once per process. Objects are read through one
 * `git cat-file --batch` per repository (at most OPEN_BATCHES open), and
 * `<cachedir>/gits/commit-trees` remembers the trees of commits resolved
 * by SHA-1 in mirrors, so a rebuild resolves them without running git.
 */
export class GitCache {
  private readonly updated = new Set<string>();
  /** Clones and updates in progress, so concurrent callers share one (key: `clone:`/`update:` + path). */
  private readonly pending = new Map<string, Promise<void>>();
  /** Object readers by repo path, least recently used first. */
  private readonly batches = new Map<string, GitBatch>();
  /** Trees of commits resolved by SHA-1 in mirrors, across runs. */
  private readonly commitTrees: CommitTreeMemo;
  private readonly host: GitCacheHost;

  constructor(host: GitCacheHost) {
    this.host = host;
    this.commitTrees = new CommitTreeMemo(join(host.cachedir, 'gits', 'commit-trees'));
  }

  /** The directory holding the cached copy of `name` (present or not). */
  mirrorPath(name: string): string {
    const url = this.host.aliases.pullUrl(name);
    const local = fileUrlPath(url);
    return local ?? join(this.host.cachedir, 'gits', escapeRepoUrl(url));
  }

  /** True when `name` is already in the cache (or is a present `file://` repo). */
  hasRepo(name: string): boolean {
    return existsSync(this.mirrorPath(name));
  }

  /**
   * The cached repo, cloned into the cache first when absent.
   * @throws MorphError sources/no-remote-repo when it cannot be cloned
   */
  async getRepo(name: string): Promise<CachedRepo> {
    const url = this.host.aliases.pullUrl(name);
    const path = this.mirrorPath(name);
    const repo = { name, url, path };
    if (fileUrlPath(url) !== undefined) {
      if (!existsSync(path)) {
        throw new MorphError('sources', 'no-remote-repo', `cannot find remote repository ${name}`, {
          hint: `${path} does not exist`,
        });
      }
      return repo;
    }
    if (!existsSync(path)) {
      await this.once(`clone:${path}`, async () => {
        if (existsSync(path)) return;
        await this.cloneMirror(name, url, path);
        this.updated.add(path);
      });
    }
    return repo;
  }

  /**
   * The cached repo, cloned if absent, then brought up to date (once per
   * process; never for `file://` repos or under `no-git-update`).
   * @throws MorphError sources/no-remote-repo, sources/update-failed
   */
  async getUpdatedRepo(name: string): Promise<CachedRepo> {
    const repo = await this.getRepo(name);
    await this.updateRepo(repo);
    return repo;
  }

  /** True when `ref` of `name` should be fetched before resolving it (docs/spec/morph.md 5.3). */
  async requiresUpdate(name: string, ref: string): Promise<boolean> {
    if (!this.mayUpdate(name)) return false;
    return !(
      SHA1.test(ref) && (await this.readObject(this.mirrorPath(name), `${ref}^{commit}`)) !== undefined
    );
  }

  /**
   * Resolves `ref` of `name`, cloning the repo first if absent and updating
   * it first when the ref may have moved (docs/spec/morph.md 5.3): a SHA-1 already
   * in the mirror needs no update. Reads the SHA-1 once, not once to
   * decide and once to resolve.
   * @throws MorphError sources/invalid-ref, sources/no-remote-repo, sources/update-failed
   */
  async resolveCurrentRef(name: string, ref: string): Promise<ResolvedRef> {
    if (this.hasRepo(name) && this.mayUpdate(name)) {
      const present = SHA1.test(ref) ? await this.tryResolveRef(name, ref) : undefined;
      if (present) return present;
      await this.updateRepo(await this.getRepo(name));
    }
    return this.resolveRef(name, ref);
  }

  /** False when `name` is never fetched (`file://`, `no-git-update`) or was fetched already. */
  private mayUpdate(name: string): boolean {
    if (this.host.noGitUpdate || fileUrlPath(this.host.aliases.pullUrl(name)) !== undefined) return false;
    return !this.updated.has(this.mirrorPath(name));
  }

  /**
   * Fetches into the mirror with `git remote update --prune` (once per process).
   * @throws MorphError sources/update-failed
   */
  async updateRepo(repo: CachedRepo): Promise<void> {
    if (this.host.noGitUpdate || fileUrlPath(repo.url) !== undefined || this.updated.has(repo.path)) return;
    await this.once(`update:${repo.path}`, async () => {
      if (this.updated.has(repo.path)) return;
      this.host.status.normal(`Updating ${repo.name}`);
      try {
        await this.host.runApp([...BACKGROUND, 'git', 'remote', 'update', '--prune'], { cwd: repo.path });
      } catch (err) {
        throw new MorphError('sources', 'update-failed', `failed to update cached repo ${repo.name}`, {
          cause: err,
          hint: (err as Error).message,
        });
      }
      this.updated.add(repo.path);
    });
  }

  /** Runs `work` unless a call with the same key is in progress, in which case it waits for that one. */
  private async once(key: string, work: () => Promise<void>): Promise<void> {
    const running = this.pending.get(key);
    if (running) return running;
    const started = work().finally(() => this.pending.delete(key));
    this.pending.set(key, started);
    return started;
  }

  /**
   * Resolves `ref` (branch, tag or SHA) in the cached repo, cloning it first if absent.
   * @throws MorphError sources/invalid-ref (*no commit at that ref*), sources/no-remote-repo
   */
  async resolveRef(name: string, ref: string): Promise<ResolvedRef> {
    const resolved = await this.tryResolveRef(name, ref);
    if (!resolved) {
      throw new MorphError(
        'sources',
        'invalid-ref',
        `no commit at that ref ${ref} in ${this.mirrorPath(name)}`,
        {
          hint: `${name} has no branch, tag or commit called ${ref}`,
        },
      );
    }
    return resolved;
  }

  /**
   * `resolveRef`, but undefined when the ref does not exist. A SHA-1 of a
   * commit in a mirror whose tree is remembered from an earlier run
   * resolves without running git.
   */
  async tryResolveRef(name: string, ref: string): Promise<ResolvedRef | undefined> {
    const repo = await this.getRepo(name);
    const memo = SHA1.test(ref) && fileUrlPath(repo.url) === undefined;
    if (memo) {
      const tree = this.commitTrees.get(ref);
      if (tree && hasObjectFile(repo.path, ref)) return { commit: ref, tree };
    }
    // One read: the peeled commit's name, and its tree from the commit's first line.
    const commit = await this.readObject(repo.path, `${ref}^{commit}`);
    const tree = commit && /^tree ([0-9a-f]+)\n/.exec(commit.data.toString('latin1'))?.[1];
    if (!commit || !tree) return undefined;
    if (memo) this.commitTrees.remember(commit.oid, tree);
    return { commit: commit.oid, tree };
  }

  /**
   * The bytes of `path` at `commit` of `name`.
   * @throws MorphError sources/file-not-found
   */
  async readFile(name: string, commit: string, path: string): Promise<Buffer> {
    const repo = await this.getRepo(name);
    const object = await this.readObject(repo.path, `${commit}:${path}`);
    if (object?.type !== 'blob') {
      throw new MorphError('sources', 'file-not-found', `file ${path} not found at ${commit} of ${name}`);
    }
    return object.data;
  }

  /**
   * The names in the top-level tree of `commit` of `name`, in tree order.
   * @throws MorphError sources/invalid-ref when the commit is not there
   */
  async listTopLevel(name: string, commit: string): Promise<string[]> {
    const repo = await this.getRepo(name);
    const tree = await this.readObject(repo.path, `${commit}^{tree}`);
    if (tree?.type !== 'tree')
      throw new MorphError('sources', 'invalid-ref', `no commit ${commit} in ${repo.path}`);
    return treeEntryNames(tree.data, tree.oid.length / 2);
  }

  /** Ends the object readers (they end by themselves when node exits, too). */
  close(): void {
    for (const batch of this.batches.values()) batch.close();
    this.batches.clear();
  }

  /** Reads one object of the repo at `path` through its `git cat-file --batch`. */
  private readObject(path: string, rev: string): Promise<GitObject | undefined> {
    let batch = this.batches.get(path);
    this.batches.delete(path);
    if (!batch?.usable) batch = new GitBatch(path);
    this.batches.set(path, batch);
    if (this.batches.size > OPEN_BATCHES) {
      const [oldest, least] = this.batches.entries().next().value as [string, GitBatch];
      this.batches.delete(oldest);
      least.close();
    }
    return batch.read(rev);
  }

  /**
   * Every file path (recursively, blobs and symlinks) at `commit` of `name`, sorted.
   * @throws MorphError sources/invalid-ref when the commit is not there
   */
  async listFiles(name: string, commit: string): Promise<string[]> {
    const repo = await this.getRepo(name);
    const out = await gitOutput(repo.path, ['ls-tree', '-r', '-z', '--name-only', commit]);
    if (out === undefined) {
      throw new MorphError('sources', 'invalid-ref', `no commit ${commit} in ${repo.path}`);
    }
    return out
      .toString()
      .split('\0')
      .filter((p) => p !== '')
      .sort();
  }

  private async cloneMirror(name: string, url: string, path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    // Clone next to the target and rename, so an interrupted clone never looks like a mirror.
    const temp = await mkdtemp(join(dirname(path), `.${basename(path)}.`));
    const reasons: string[] = [];
    try {
      if (await this.seedFromTarball(name, url, temp, reasons)) {
        await publish(temp, path);
        return;
      }
      await rm(temp, { recursive: true, force: true });
      this.host.status.normal(`Cloning ${name}`);
      try {
        await this.host.runApp([...BACKGROUND, 'git', 'clone', '--mirror', '-n', url, temp]);
      } catch (err) {
        reasons.push((err as Error).message);
        throw new MorphError('sources', 'no-remote-repo', `cannot find remote repository ${name}`, {
          cause: err,
          hint: reasons.join('; '),
        });
      }
      await publish(temp, path);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  private async seedFromTarball(name: string, url: string, dir: string, reasons: string[]): Promise<boolean> {
    const server = this.host.tarballServer;
    if (server === '') return false;
    const tarball = `${server}${escapeRepoUrl(url)}.tar`;
    try {
      const data = await download(tarball);
      await this.host.runApp(['tar', 'xf', '-'], { cwd: dir, input: data });
      for (const [key, value] of [
        ['remote.origin.url', url],
        ['remote.origin.mirror', 'true'],
        ['remote.origin.fetch', '+refs/*:refs/*'],
      ] as const) {
        await this.host.runApp(['git', 'config', key, value], { cwd: dir });
      }
      return true;
    } catch (err) {
      reasons.push(`${tarball}: ${(err as Error).message}`);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      this.host.status.chatty(`Could not fetch ${tarball}; cloning ${name} with git instead`);
      return false;
    }
  }
}

/** The names of a tree object's entries (`<mode> <name>\0<binary object name>` each). */
function treeEntryNames(data: Buffer, oidBytes: number): string[] {
  const names: string[] = [];
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(32, at);
    const nul = data.indexOf(0, space);
    if (space === -1 || nul === -1) break;
    names.push(data.subarray(space + 1, nul).toString());
    at = nul + 1 + oidBytes;
  }
  return names;
}

/** Moves a finished clone into place; another process having cloned it meanwhile is fine. */
async function publish(temp: string, path: string): Promise<void> {
  try {
    await rename(temp, path);
  } catch (err) {
    if (!existsSync(path)) throw err;
  }
}

/** Local path of a `file://` URL, or undefined for any other URL. */
export function fileUrlPath(url: string): string | undefined {
  if (!url.startsWith('file://')) return undefined;
  return decodeURIComponent(url.slice('file://'.length).replace(/^[^/]*/, '')) || '/';
}

async function download(url: string): Promise<Uint8Array> {
  const local = fileUrlPath(url);
  if (local !== undefined) return readFile(local);
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
