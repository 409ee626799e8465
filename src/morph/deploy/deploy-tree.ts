import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { type CleanupStack, unmountSync } from '../../shared/cleanup-stack.js';
import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import type { DeployLayers } from '../extensions/deploy-layers.js';
import { type SharedCheckout, sharedCheckout } from './shared-checkout.js';

/** `union-filesystem` values (docs/spec/design.md 3.2). */
export type UnionFilesystem = 'overlayfs' | 'unionfs-fuse' | 'copy';

/** A writable system tree for one deployment. */
export interface DeployTree {
  /** The tree extensions work on: the union mount point (or the copy). */
  path: string;
  /**
   * What the tree is made of, for write extensions that can use it
   * (deploy-layers.ts): set for an overlayfs tree over a shared checkout.
   */
  layers?: DeployLayers;
  /** Unmounts and removes everything; idempotent. */
  dispose(): void;
}

/**
 * Fills a directory with the system. `hardlink` says whether it may be a
 * hard-link checkout (read-only by contract) or must be a private copy.
 */
export type PopulateTree = (dir: string, options: { hardlink: boolean }) => Promise<void>;

/**
 * Where a deploy tree may take its read-only lower layer from a shared
 * checkout (shared-checkout.ts) instead of a checkout of its own.
 */
export interface SharedLower {
  /** The directory of the shared checkouts (sharedCheckoutsDir). */
  dir: string;
  /** The artifact's content identity (ResolvedSystem.revision). */
  revision: string;
  /** The OSTree repository the checkouts link to. */
  repo: string;
}

/**
 * Makes the writable deploy tree of docs/spec/design.md 3.2 in a new directory under
 * `parentDir`: the system checked out with hard links (`lower`, or with
 * `shared` the shared checkout of its revision, made once and kept), and a
 * union mount over it whose writes land in `upper` (overlayfs,
 * unionfs-fuse), so that the cached files are never written; or, for
 * `copy`, a plain copy. Whatever happens later, `dispose` (also registered
 * on `cleanup`, which runs at process exit) unmounts and removes it all
 * but the shared checkout.
 * @throws MorphError `deploy/union-mount-failed` with a hint to use `copy`.
 */
export async function createDeployTree(
  app: App,
  options: {
    parentDir: string;
    label: string;
    cleanup: CleanupStack;
    populate: PopulateTree;
    shared?: SharedLower;
  },
): Promise<DeployTree> {
  const method = app.settings['union-filesystem'] as UnionFilesystem;
  const dir = await mkdtemp(join(options.parentDir, 'deploy-'));
  const mountpoint = join(dir, `overlay-deploy-${options.label.replace(/[^\w.-]/g, '_')}`);
  let mounted = false;
  let shared: SharedCheckout | undefined;
  const handle = options.cleanup.push(`remove deploy tree ${dir}`, () => {
    if (mounted) {
      unmountSync(mountpoint);
      mounted = false;
    }
    shared?.release();
    // --one-file-system: should an unmount ever have failed, never delete through a mount.
    spawnSync('rm', ['-rf', '--one-file-system', dir], { stdio: 'ignore' });
  });
  const tree: DeployTree = { path: mountpoint, dispose: () => handle.release() };
  try {
    // The tree's root has the mode of an artifact's root, whatever morph's umask
    // (an overlay's root takes the upper directory's mode).
    await mkdir(mountpoint);
    await chmod(mountpoint, 0o755);
    if (method === 'copy') {
      await options.populate(mountpoint, { hardlink: false });
      return tree;
    }
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    await Promise.all([mkdir(upper), mkdir(work)]);
    await chmod(upper, 0o755);
    if (options.shared) {
      shared = await sharedCheckout({
        ...options.shared,
        cleanup: options.cleanup,
        populate: (tree) => options.populate(tree, { hardlink: true }),
      });
    }
    const lower = shared?.tree ?? join(dir, 'lower');
    if (!shared) await options.populate(lower, { hardlink: true });
    const argv =
      method === 'overlayfs'
        ? [
            'mount',
            '-t',
            'overlay',
            `overlay-deploy-${options.label}`,
            '-o',
            overlayOptions(lower, upper, work),
            mountpoint,
          ]
        : ['unionfs', '-o', 'cow,allow_other,use_ino,suid,dev', `${upper}=RW:${lower}=RO`, mountpoint];
    const result = await app.runApp(argv, { allowFailure: true });
    if (result.exitCode !== 0) {
      throw new MorphError(
        'deploy',
        'union-mount-failed',
        `cannot mount the deploy tree with ${method}: ${result.stderr.trim()}`,
        {
          hint: 'set union-filesystem=copy (or unionfs-fuse) where overlay mounts are not allowed',
        },
      );
    }
    mounted = true;
    if (shared && method === 'overlayfs') tree.layers = { lower, upper, cache: shared.dir };
    return tree;
  } catch (err) {
    tree.dispose();
    throw err;
  }
}

/** overlayfs mount options; commas and colons in paths would split them, so they are refused. */
export function overlayOptions(lower: string, upper: string, work: string): string {
  for (const path of [lower, upper, work]) {
    if (/[,:]/.test(path)) {
      throw new MorphError('deploy', 'bad-tempdir', `overlayfs cannot use ${path}: it contains ',' or ':'`, {
        hint: 'use a tempdir without commas or colons, or union-filesystem=copy',
      });
    }
  }
  return `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
}
