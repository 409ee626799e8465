import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../shared/exec.js';
import { ownedPrefix } from '../../../shared/owned-name.js';
import type { ArtifactCache } from '../../cache/artifact-cache.js';
import { artifactDevices } from './artifact-devices.js';
import { createDeviceNodes, type DeviceNode } from './device-nodes.js';
import { needsLdconfig } from './staging-area.js';

/** How a dependency tree is prepared. */
export interface TreeOptions {
  /** Run `ldconfig -r` in it when it has `etc/ld.so.conf` (staging-mode chunks). */
  ldconfig: boolean;
}

/** One dependency list of a build and its tree. */
interface Entry {
  readonly refs: readonly string[];
  readonly options: TreeOptions;
  tree?: Promise<string>;
  /** The tree's path once it is ready. */
  path?: string;
  /** Chunks of this build announced to stage this list that have not released it yet. */
  expected: number;
  /** Chunks holding the tree now. */
  users: number;
}

/**
 * The staged dependencies of the chunks of one build (docs/spec/morph.md 5.9): each
 * distinct list of chunk artifacts is checked out once, with hard links,
 * into `<dir>/deps-*`, with its device nodes (and `ldconfig -r` when asked),
 * and then shared read-only by every chunk sandbox that stages that list.
 * The chunks of a stratum all stage the same list, so a wide stratum costs
 * one checkout instead of one per chunk.
 *
 * A tree that no chunk of the build needs any more (all the chunks
 * announced with `expect` have released it) is retired, and the next list
 * that extends it takes it over: only the new artifacts are checked out on
 * top (the next stratum's list extends the previous one), instead of the
 * whole list again. What is checked out is one commit layered from the
 * refs, on the layered commit of the longest list already layered that is
 * a prefix of them; `stored` layers the lists still to come as far as the
 * cache holds their refs, so that a stratum boundary has little left to
 * layer. Nothing here writes through the hard links: sandboxes mount trees
 * read-only.
 */
export class DependencyTrees {
  private readonly entries = new Map<string, Entry>();
  private readonly layered: { refs: readonly string[]; checksum: Promise<string> }[] = [];
  /** Refs announced by `stored`. */
  private readonly present = new Set<string>();

  /**
   * @param dir where trees go (`<tempdir>/staging`).
   * @param runApp runs a host command (ldconfig) the way the app does.
   */
  constructor(
    private readonly cache: ArtifactCache,
    private readonly dir: string,
    private readonly runApp: (argv: string[]) => Promise<unknown> = (argv) => runCommand(argv),
  ) {}

  /** Announces one more chunk of this build that will stage `refs` (acquire, then release). */
  expect(refs: readonly string[], options: TreeOptions): void {
    this.entry(refs, options).expected++;
  }

  /**
   * The tree holding `refs` checked out in order (later files win), ready to
   * bind read-only; the caller must `release` it once its commands are done.
   */
  async acquire(refs: readonly string[], options: TreeOptions): Promise<string> {
    const entry = this.entry(refs, options);
    entry.users++;
    try {
      if (!entry.tree) {
        const tree = this.prepare(entry);
        entry.tree = tree;
        // A failure is reported to every caller; a later call tries again.
        tree.then(
          (path) => {
            entry.path = path;
          },
          () => {
            if (entry.tree === tree) entry.tree = undefined;
          },
        );
      }
      return await entry.tree;
    } catch (err) {
      entry.users--;
      throw err;
    }
  }

  /**
   * Tells that `refs` are now in the cache (a chunk was stored): the lists
   * still to be prepared that they complete more of are layered that far
   * at once, in the background, so that preparing one later (at a stratum
   * boundary, on the build's critical path) has little left to layer.
   * A list is layered here exactly as `prepare` would take it: on top of
   * the longest other list it extends (whose tree it will take over), or
   * whole when there is none.
   */
  stored(refs: readonly string[]): void {
    for (const ref of refs) this.present.add(ref);
    for (const entry of this.entries.values()) {
      if (entry.tree || entry.expected <= 0) continue;
      const rest = entry.refs.slice(this.longestPrefixList(entry)?.refs.length ?? 0);
      let ready = 0;
      while (ready < rest.length && this.present.has(rest[ready] as string)) ready++;
      if (ready >= 2) this.layer(rest.slice(0, ready)).catch(() => {});
    }
  }

  /** Ends one use of the tree of `refs` (see `acquire`). */
  release(refs: readonly string[], options: TreeOptions): void {
    const entry = this.entry(refs, options);
    entry.users--;
    entry.expected--;
  }

  /** Removes every tree (at the end of the build, whatever happened). */
  async removeAll(): Promise<void> {
    const trees = [...this.entries.values()].map((entry) => entry.tree).filter((tree) => tree !== undefined);
    this.entries.clear();
    for (const tree of await Promise.allSettled(trees)) {
      if (tree.status === 'fulfilled') await rm(tree.value, { recursive: true, force: true });
    }
  }

  private entry(refs: readonly string[], options: TreeOptions): Entry {
    const key = hashOf([options.ldconfig ? 'ldconfig' : 'plain', ...refs]);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { refs: [...refs], options, expected: 0, users: 0 };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** The longest other list of the same kind that `entry`'s extends (its tree may be taken over). */
  private longestPrefixList(entry: Entry): Entry | undefined {
    let best: Entry | undefined;
    for (const other of this.entries.values()) {
      if (other === entry || other.options.ldconfig !== entry.options.ldconfig) continue;
      if (other.refs.length >= entry.refs.length || (best && best.refs.length >= other.refs.length)) continue;
      if (isPrefix(other.refs, entry.refs)) best = other;
    }
    return best;
  }

  /** The longest retired tree whose list is a prefix of `entry`'s, taken out of the map. */
  private adoptable(entry: Entry): Entry | undefined {
    let best: [string, Entry] | undefined;
    for (const [key, other] of this.entries) {
      const retired = other.path !== undefined && other.users <= 0 && other.expected <= 0;
      if (!retired || other === entry || other.options.ldconfig !== entry.options.ldconfig) continue;
      if (best && best[1].refs.length >= other.refs.length) continue;
      if (isPrefix(other.refs, entry.refs)) best = [key, other];
    }
    if (best) this.entries.delete(best[0]);
    return best?.[1];
  }

  private async prepare(entry: Entry): Promise<string> {
    const base = this.adoptable(entry);
    const root = base?.path ?? (await this.freshDirectory());
    const refs = entry.refs.slice(base?.refs.length ?? 0);
    try {
      if (refs.length > 0) {
        const rev = refs.length === 1 ? (refs[0] as string) : await this.layer(refs);
        await this.cache.checkout(rev, root, { union: true, hardlink: true });
      }
      const devices: DeviceNode[] = [];
      for (const ref of refs) devices.push(...(await artifactDevices(this.cache, ref)));
      await createDeviceNodes(root, devices);
      if (entry.options.ldconfig && needsLdconfig(root)) await this.runApp(['ldconfig', '-r', root]);
      return root;
    } catch (err) {
      await rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  private async freshDirectory(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    return mkdtemp(join(this.dir, ownedPrefix('deps-')));
  }

  /**
   * The checksum of `refs` layered into one commit, on the longest list
   * layered before that is a prefix of it; remembered (a failure is not).
   */
  private layer(refs: readonly string[]): Promise<string> {
    let base: (typeof this.layered)[number] | undefined;
    for (const entry of this.layered) {
      if ((!base || entry.refs.length > base.refs.length) && isPrefix(entry.refs, refs)) base = entry;
    }
    if (base?.refs.length === refs.length) return base.checksum;
    const rest = refs.slice(base?.refs.length ?? 0);
    const checksum = base
      ? base.checksum.then((layered) => this.cache.layer([layered, ...rest]))
      : this.cache.layer(refs);
    const remembered = { refs: [...refs], checksum };
    this.layered.push(remembered);
    checksum.catch(() => {
      const at = this.layered.indexOf(remembered);
      if (at >= 0) this.layered.splice(at, 1);
    });
    return checksum;
  }
}

/** True when `list` starts with all of `prefix`. */
function isPrefix(prefix: readonly string[], list: readonly string[]): boolean {
  return prefix.length <= list.length && prefix.every((item, i) => item === list[i]);
}

function hashOf(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}
