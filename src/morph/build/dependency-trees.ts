import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../shared/exec.js';
import type { ArtifactCache } from '../cache/artifact-cache.js';
import { artifactDevices } from './artifact-devices.js';
import { createDeviceNodes, type DeviceNode } from './device-nodes.js';
import { needsLdconfig } from './staging-area.js';

/** How a dependency tree is prepared. */
export interface TreeOptions {
  /** Run `ldconfig -r` in it when it has `etc/ld.so.conf` (staging-mode chunks). */
  ldconfig: boolean;
}

/**
 * The staged dependencies of the chunks of one build (morph.md 5.9): each
 * distinct list of chunk artifacts is checked out once, with hard links,
 * into `<dir>/deps-*`, with its device nodes (and `ldconfig -r` when asked),
 * and then shared read-only by every chunk sandbox that stages that list.
 * The chunks of a stratum all stage the same list, so a wide stratum costs
 * one checkout instead of one per chunk.
 *
 * The layered commit of a list is built on the layered commit of the longest
 * list already layered that is a prefix of it (the next stratum's list
 * extends the previous one), so layering costs the new refs only.
 * Nothing here writes through the hard links: sandboxes mount trees read-only.
 */
export class DependencyTrees {
  private readonly trees = new Map<string, Promise<string>>();
  private readonly layered: { refs: readonly string[]; checksum: Promise<string> }[] = [];

  /**
   * @param dir where trees go (`<tempdir>/staging`).
   * @param runApp runs a host command (ldconfig) the way the app does.
   */
  constructor(
    private readonly cache: ArtifactCache,
    private readonly dir: string,
    private readonly runApp: (argv: string[]) => Promise<unknown> = (argv) => runCommand(argv),
  ) {}

  /** The tree holding `refs` checked out in order (later files win), ready to bind read-only. */
  get(refs: readonly string[], options: TreeOptions): Promise<string> {
    const key = hashOf([options.ldconfig ? 'ldconfig' : 'plain', ...refs]);
    let tree = this.trees.get(key);
    if (!tree) {
      tree = this.prepare(refs, options);
      this.trees.set(key, tree);
      // A failure is reported to every caller; a later call tries again.
      tree.catch(() => this.trees.delete(key));
    }
    return tree;
  }

  /** Removes every tree (at the end of the build, whatever happened). */
  async removeAll(): Promise<void> {
    const trees = [...this.trees.values()];
    this.trees.clear();
    for (const tree of await Promise.allSettled(trees)) {
      if (tree.status === 'fulfilled') await rm(tree.value, { recursive: true, force: true });
    }
  }

  private async prepare(refs: readonly string[], options: TreeOptions): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const root = await mkdtemp(join(this.dir, 'deps-'));
    try {
      if (refs.length > 0) {
        const rev = refs.length === 1 ? (refs[0] as string) : await this.layer(refs);
        await this.cache.checkout(rev, root, { union: true, hardlink: true });
      }
      const devices: DeviceNode[] = [];
      for (const ref of refs) devices.push(...(await artifactDevices(this.cache, ref)));
      await createDeviceNodes(root, devices);
      if (options.ldconfig && needsLdconfig(root)) await this.runApp(['ldconfig', '-r', root]);
      return root;
    } catch (err) {
      await rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  /** The checksum of `refs` layered into one commit, reusing the longest layered prefix. */
  private layer(refs: readonly string[]): Promise<string> {
    let base: (typeof this.layered)[number] | undefined;
    for (const entry of this.layered) {
      if (entry.refs.length <= refs.length && (!base || entry.refs.length > base.refs.length)) {
        if (entry.refs.every((ref, i) => ref === refs[i])) base = entry;
      }
    }
    if (base?.refs.length === refs.length) return base.checksum;
    const rest = refs.slice(base?.refs.length ?? 0);
    const checksum = base
      ? base.checksum.then((layered) => this.cache.layer([layered, ...rest]))
      : this.cache.layer(refs);
    this.layered.push({ refs: [...refs], checksum });
    return checksum;
  }
}

function hashOf(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}
