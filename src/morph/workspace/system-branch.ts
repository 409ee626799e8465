import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MorphError } from '../errors.js';
import { fabricateCheckoutPath } from './checkout-path.js';
import { isDirectory } from './find-workspace.js';
import { getGitConfigs, readGitConfigFile } from './git-config.js';

/** Name of the directory marking a system branch. */
export const SYSTEM_BRANCH_MARKER = '.morph-system-branch';

/** One git checkout inside a system branch. */
export interface Checkout {
  /** Absolute path of the checkout. */
  readonly dir: string;
  /** Its `morph.repository` (the repo name as typed), if it has one. */
  readonly repo: string | undefined;
  /** Its `morph.uuid` (names its temporary build ref), if it has one. */
  readonly uuid: string | undefined;
}

/**
 * A system branch directory `<ws>/<branch>/` with its
 * `.morph-system-branch/config` (docs/spec/morph.md 3.1).
 */
export class SystemBranch {
  /** Absolute path of the system branch directory. */
  readonly dir: string;
  /** `branch.name`. */
  readonly name: string;
  /** `branch.root`: the definitions repo name as typed (`test:morphs`). */
  readonly rootRepo: string;
  /** `branch.uuid`: 32 lowercase hex digits. */
  readonly uuid: string;

  constructor(dir: string, config: { name: string; rootRepo: string; uuid: string }) {
    this.dir = dir;
    this.name = config.name;
    this.rootRepo = config.rootRepo;
    this.uuid = config.uuid;
  }

  /** Path of the branch's config file. */
  get configFile(): string {
    return join(this.dir, SYSTEM_BRANCH_MARKER, 'config');
  }

  /**
   * Reads the system branch at `dir`.
   * @throws MorphError workspace/bad-system-branch when its config lacks name or root
   */
  static async open(dir: string): Promise<SystemBranch> {
    const file = join(dir, SYSTEM_BRANCH_MARKER, 'config');
    const config = await readGitConfigFile(file);
    const name = config.get('branch.name');
    const rootRepo = config.get('branch.root');
    if (name === undefined || rootRepo === undefined) {
      throw new MorphError('workspace', 'bad-system-branch', `${file} lacks branch.name or branch.root`);
    }
    return new SystemBranch(dir, { name, rootRepo, uuid: config.get('branch.uuid') ?? '' });
  }

  /** Every git checkout under the branch dir (not descending into one), ordered by path. */
  async checkouts(): Promise<Checkout[]> {
    const dirs = findDirsContaining(this.dir, '.git').sort();
    return Promise.all(
      dirs.map(async (dir) => {
        const config = await getGitConfigs(dir, ['morph.repository', 'morph.uuid']);
        return { dir, repo: config.get('morph.repository'), uuid: config.get('morph.uuid') };
      }),
    );
  }

  /**
   * Where `repo` is (or would be) checked out: an existing checkout whose
   * `morph.repository` is `repo`, else the fabricated path (docs/spec/morph.md 3.1).
   */
  async checkoutDirFor(repo: string): Promise<string> {
    const existing = (await this.checkouts()).find((c) => c.repo === repo);
    return existing?.dir ?? fabricateCheckoutPath(this.dir, repo);
  }

  /** The checkout directory of the root (definitions) repo. */
  rootCheckoutDir(): Promise<string> {
    return this.checkoutDirFor(this.rootRepo);
  }
}

/**
 * The system branch containing `cwd` (walking up to a directory with
 * `.morph-system-branch`), or else the only one below `cwd` (docs/spec/morph.md 3.2).
 * @throws MorphError workspace/not-in-system-branch when there is none, or several below
 */
export async function findSystemBranch(cwd: string): Promise<SystemBranch> {
  let current = resolve(cwd);
  for (;;) {
    if (isDirectory(join(current, SYSTEM_BRANCH_MARKER))) return SystemBranch.open(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  const below = findDirsContaining(resolve(cwd), SYSTEM_BRANCH_MARKER);
  if (below.length === 1) return SystemBranch.open(below[0]!);
  throw new MorphError('workspace', 'not-in-system-branch', `${cwd} is not in a system branch`, {
    hint:
      below.length > 1
        ? `there are ${below.length} system branches below it; cd into one`
        : 'create one with morph checkout or morph branch',
  });
}

/** Every system branch directory below `dir` (a workspace root), ordered by path. */
export async function listSystemBranches(dir: string): Promise<SystemBranch[]> {
  return Promise.all(
    findDirsContaining(dir, SYSTEM_BRANCH_MARKER)
      .sort()
      .map((d) => SystemBranch.open(d)),
  );
}

/** A fresh `branch.uuid` / `morph.uuid`: 32 lowercase hex digits. */
export function newUuid(): string {
  return randomUUID().replace(/-/g, '');
}

/** Directories at or below `root` containing `marker`, without descending into one that does. */
export function findDirsContaining(root: string, marker: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    if (existsSync(join(dir, marker))) {
      found.push(dir);
      return;
    }
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      // Removed meanwhile, or a directory this user may not read: nothing of theirs below it.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name !== '.git') visit(join(dir, entry.name));
    }
  };
  visit(root);
  return found;
}
