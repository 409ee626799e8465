import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../shared/exec.js';
import type { BuildApp } from '../build/graph/build-app.js';
import { loadAllMorphologies } from '../definitions/load-all-morphologies.js';
import { saveMorphology } from '../definitions/save-morphology.js';
import { MorphError } from '../errors.js';
import type { Morphology } from '../model.js';
import { getGitConfigs } from './git-config.js';
import type { SystemBranch } from './system-branch.js';
import { type StatusEntry, uncommittedChanges } from './uncommitted-changes.js';

/** What to build after preparing build branches (docs/spec/morph.md 5.2). */
export interface BuildBranch {
  /** Repo name of the definitions (`file://<root checkout>` for local temporary branches). */
  repo: string;
  /** The definitions commit. */
  commit: string;
  /** The definitions' original ref (the branch name, or the build ref). */
  ref: string;
  /** Deletes the pushed build refs from their remotes again (a no-op when nothing was pushed). */
  cleanup(): Promise<void>;
  /**
   * What metadata records for a source built from a temporary build branch
   * (keyed `<repo as fetched>\0<build ref>`): the checkout's own repo name and
   * branch, never the workspace path the unpushed branch is fetched from
   * (see `BuildRequest.recordedAs`).
   */
  recordedAs?: ReadonlyMap<string, RecordedSource>;
}

/** The repo name and ref a source is recorded under in metadata. */
export interface RecordedSource {
  repo: string;
  ref: string;
}

interface RepoState {
  dir: string;
  repo: string;
  buildRef: string;
  /** Abbreviated HEAD name (`master`, or `HEAD` when detached). */
  head: string;
  index: string;
  /** Its uncommitted changes (docs/spec/morph.md 3.10). */
  changes: StatusEntry[];
  changed: boolean;
  unpushed: boolean;
}

const ZERO = '0'.repeat(40);

/**
 * Prepares temporary build branches for a system branch (docs/spec/morph.md 5.2): the
 * workspace's uncommitted changes go into private indexes, every morphology
 * is re-serialised with refs pointing at the build refs, and one commit per
 * repo is made on `refs/heads/<build-ref-prefix>/<branch uuid>/<repo uuid>`
 * (compare-and-swap; reverted on failure). Nothing is made when no repo has
 * changes or unpushed commits. Local build refs are left in place.
 * @throws MorphError build/no-repos, build/build-branch-failed.
 */
export async function prepareBuildBranch(
  app: BuildApp,
  branch: SystemBranch,
  options: { push: boolean },
): Promise<BuildBranch> {
  const scratch = await mkdtemp(join(app.settings.tempdir, 'build-branch-'));
  try {
    const repos = await collectRepos(app, branch, scratch);
    const root = repos.find((r) => r.repo === branch.rootRepo);
    if (!root) {
      throw new MorphError('build', 'no-root-checkout', `no checkout of ${branch.rootRepo} in ${branch.dir}`);
    }
    if (!repos.some((r) => r.changed || r.unpushed)) {
      const commit = await git(root.dir, ['rev-parse', '--verify', `${branch.name}^{commit}`]);
      return { repo: branch.rootRepo, commit, ref: branch.name, cleanup: async () => {} };
    }
    await stageChanges(repos);
    await injectRefs(branch, repos, root, options.push, scratch);
    const commits = await commitAll(app, branch, repos);
    if (!options.push) {
      return {
        repo: `file://${root.dir}`,
        commit: commits.get(root) as string,
        ref: root.buildRef,
        cleanup: async () => {},
        recordedAs: recordedSources(repos, (repo) => `file://${repo.dir}`),
      };
    }
    const pushed: RepoState[] = [];
    const cleanup = async (): Promise<void> => {
      for (const repo of pushed) {
        await app.runApp(['git', 'push', '--porcelain', 'origin', `${ZERO}:${repo.buildRef}`], {
          cwd: repo.dir,
          allowFailure: true,
        });
      }
    };
    try {
      for (const repo of repos) {
        await app.runApp(['git', 'push', '--porcelain', 'origin', `${repo.buildRef}:${repo.buildRef}`], {
          cwd: repo.dir,
        });
        pushed.push(repo);
      }
    } catch (err) {
      await cleanup();
      throw new MorphError('build', 'build-branch-failed', 'cannot push temporary build branches', {
        cause: err,
      });
    }
    return {
      repo: branch.rootRepo,
      commit: commits.get(root) as string,
      ref: root.buildRef,
      cleanup,
      recordedAs: recordedSources(repos, (repo) => repo.repo),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Each build branch (as fetched: `fetchName`, build ref) → the checkout's
 * repo and branch (the build ref itself when its HEAD is detached).
 */
function recordedSources(
  repos: readonly RepoState[],
  fetchName: (repo: RepoState) => string,
): Map<string, RecordedSource> {
  return new Map(
    repos.map((repo) => [
      `${fetchName(repo)}\0${repo.buildRef}`,
      { repo: repo.repo, ref: repo.head === 'HEAD' ? repo.buildRef : repo.head },
    ]),
  );
}

async function collectRepos(app: BuildApp, branch: SystemBranch, scratch: string): Promise<RepoState[]> {
  const repos: RepoState[] = [];
  const prefix = app.settings['build-ref-prefix'];
  for (const checkout of await branch.checkouts()) {
    if (!checkout.uuid || !checkout.repo) continue;
    const changes = await uncommittedChanges(checkout.dir);
    const [commit, head] = (await git(checkout.dir, ['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD'])).split(
      '\n',
    );
    repos.push({
      dir: checkout.dir,
      repo: checkout.repo,
      buildRef: `refs/heads/${prefix}/${branch.uuid}/${checkout.uuid}`,
      head: head as string,
      index: join(scratch, `index-${repos.length}`),
      changes,
      changed: changes.length > 0,
      unpushed: await isUnpushed(checkout.dir, head as string, commit as string),
    });
  }
  if (repos.length === 0) {
    throw new MorphError(
      'build',
      'no-repos',
      `no repositories of system branch ${branch.name} can be built`,
      {
        hint: 'the checkouts lack morph.uuid; were they made by morph checkout/branch/edit?',
      },
    );
  }
  return repos;
}

/** Initialises each repo's temporary index from its HEAD and adds its uncommitted changes. */
async function stageChanges(repos: readonly RepoState[]): Promise<void> {
  for (const repo of repos) {
    const env = { ...process.env, GIT_INDEX_FILE: repo.index };
    await runCommand(['git', 'read-tree', 'HEAD'], { cwd: repo.dir, env });
    const paths = repo.changes.flatMap((c) => (c.from ? [c.path, c.from] : [c.path]));
    if (paths.length > 0) {
      await runCommand(['git', 'add', '--all', '--force', '--', ...paths], { cwd: repo.dir, env });
    }
  }
}

async function isUnpushed(dir: string, head: string, commit: string): Promise<boolean> {
  if (head === 'HEAD') return true;
  const upstream = await runCommand(['git', 'rev-parse', '--verify', '--quiet', '@{upstream}'], {
    cwd: dir,
    allowFailure: true,
  });
  if (upstream.exitCode !== 0) return true;
  return upstream.stdout.trim() !== commit;
}

/** Points every spec at the build refs and stages every morphology in the root repo's index. */
async function injectRefs(
  branch: SystemBranch,
  repos: RepoState[],
  root: RepoState,
  push: boolean,
  scratch: string,
): Promise<void> {
  const morphologies = await loadAllMorphologies(root.dir);
  const byPair = new Map(repos.map((r) => [`${r.repo}\0${r.head}`, r]));
  const retarget = (spec: Record<string, unknown>, chunk: boolean): void => {
    if (typeof spec.repo !== 'string' || typeof spec.ref !== 'string') return;
    const target = byPair.get(`${spec.repo}\0${spec.ref}`);
    if (!target) return;
    if (target === root && !chunk) {
      delete spec.repo;
      delete spec.ref;
      return;
    }
    if (!push) spec.repo = `file://${target.dir}`;
    spec.ref = target.buildRef;
  };
  for (const morphology of morphologies.values()) {
    if (morphology.kind === 'system') for (const spec of morphology.strata) retarget(spec, false);
    if (morphology.kind === 'stratum') {
      for (const spec of morphology['build-depends']) retarget(spec, false);
      for (const spec of morphology.chunks) retarget(spec, true);
    }
  }
  // Two processes for all files: write the blobs, then stage them.
  const files = [...morphologies.keys()];
  if (files.length === 0) return;
  const blobs = await mkdtemp(join(scratch, 'blobs-'));
  const paths = files.map((_, i) => join(blobs, String(i)));
  files.forEach((file, i) => {
    writeFileSync(paths[i] as string, serialise(morphologies.get(file) as Morphology, file, branch));
  });
  const hashed = await runCommand(['git', 'hash-object', '-w', '--no-filters', '--stdin-paths'], {
    cwd: root.dir,
    input: `${paths.join('\n')}\n`,
  });
  const oids = hashed.stdout.split('\n').filter((line) => line !== '');
  if (oids.length !== files.length) {
    throw new MorphError(
      'build',
      'build-branch-failed',
      `git hash-object wrote ${oids.length} of ${files.length} morphologies`,
    );
  }
  await runCommand(['git', 'update-index', '-z', '--index-info'], {
    cwd: root.dir,
    env: { ...process.env, GIT_INDEX_FILE: root.index },
    input: files.map((file, i) => `100644 ${oids[i]}\t${file}\0`).join(''),
  });
}

function serialise(morphology: Morphology, file: string, branch: SystemBranch): string {
  try {
    return saveMorphology(morphology);
  } catch (err) {
    throw new MorphError('build', 'build-branch-failed', `cannot serialise ${file} of ${branch.name}`, {
      cause: err,
    });
  }
}

/** Commits each repo's index on its build ref; returns the commit to build per repo. */
async function commitAll(
  app: BuildApp,
  branch: SystemBranch,
  repos: RepoState[],
): Promise<Map<RepoState, string>> {
  const buildUuid = randomUUID().replace(/-/g, '');
  const commits = new Map<RepoState, string>();
  const created: { repo: RepoState; old: string; now: string }[] = [];
  try {
    for (const repo of repos) {
      const result = await commitRepo(
        app,
        repo,
        `Morph build ${buildUuid}\n\nSystem branch: ${branch.name}\n`,
      );
      if (result.created) created.push({ repo, ...result.created });
      commits.set(repo, result.commit);
    }
  } catch (err) {
    for (const { repo, old, now } of created.reverse()) {
      const args =
        old === ZERO ? ['update-ref', '-d', repo.buildRef, now] : ['update-ref', repo.buildRef, old, now];
      await runCommand(['git', ...args], { cwd: repo.dir, allowFailure: true });
    }
    throw new MorphError('build', 'build-branch-failed', 'cannot create temporary build branches', {
      cause: err,
    });
  }
  return commits;
}

/** Attempts at moving a build ref that another morph keeps moving first. */
const UPDATE_ATTEMPTS = 5;

/**
 * Commits one repo's temporary index on its build ref, or reuses the ref's
 * commit when its tree is the same. The ref moves by compare-and-swap; when
 * another morph building the same branch moved it first, look again (its
 * commit may already hold this very tree) and retry.
 */
async function commitRepo(
  app: BuildApp,
  repo: RepoState,
  message: string,
): Promise<{ commit: string; created?: { old: string; now: string } }> {
  const tree = await git(repo.dir, ['write-tree'], { GIT_INDEX_FILE: repo.index });
  for (let attempt = 1; ; attempt++) {
    const existing = await runCommand(
      ['git', 'rev-parse', '--verify', '--quiet', `${repo.buildRef}^{commit}`],
      {
        cwd: repo.dir,
        allowFailure: true,
      },
    );
    const old = existing.exitCode === 0 ? existing.stdout.trim() : undefined;
    if (old && (await git(repo.dir, ['rev-parse', `${old}^{tree}`])) === tree) return { commit: old };
    const parent = old ?? (await git(repo.dir, ['rev-parse', 'HEAD']));
    const user =
      process.env.GIT_AUTHOR_NAME === undefined || process.env.GIT_AUTHOR_EMAIL === undefined
        ? await getGitConfigs(repo.dir, ['user.name', 'user.email'])
        : new Map<string, string>();
    const name = process.env.GIT_AUTHOR_NAME ?? user.get('user.name') ?? 'Morph';
    const email = process.env.GIT_AUTHOR_EMAIL ?? user.get('user.email') ?? 'morph@localhost';
    const commit = await runCommand(['git', 'commit-tree', tree, '-p', parent, '-F', '-'], {
      cwd: repo.dir,
      input: message,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: name,
        GIT_AUTHOR_EMAIL: email,
        GIT_COMMITTER_NAME: `Morph (on behalf of ${name})`,
        GIT_COMMITTER_EMAIL: email,
      },
    });
    const now = commit.stdout.trim();
    try {
      await app.runApp(['git', 'update-ref', '-m', 'morph build', repo.buildRef, now, old ?? ZERO], {
        cwd: repo.dir,
      });
      return { commit: now, created: { old: old ?? ZERO, now } };
    } catch (err) {
      if (attempt >= UPDATE_ATTEMPTS) throw err;
    }
  }
}

async function git(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await runCommand(['git', ...args], { cwd: dir, env: { ...process.env, ...env } });
  return result.stdout.trim();
}
