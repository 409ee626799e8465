import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { CleanupStack, detachLoopSync, removeSync, unmountSync } from '../../shared/cleanup-stack.js';
import { statIfPresent } from '../../shared/if-present.js';
import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { type ImageRecord, readImageMetadata } from './image-metadata.js';

/** One line of the manifest. */
export interface ManifestRow {
  artifact: string;
  repository: string;
  ref: string;
  commit: string;
}

const KIND_ORDER = ['system', 'stratum', 'chunk'];

/** Where the metadata of a system lives inside a tree, an image or a rawdisk filesystem, by preference. */
export const METADATA_DIRS = [
  'factory/baserock',
  'baserock',
  'systems/default/run/baserock',
  'systems/factory/orig/baserock',
];

/**
 * Manifest rows of a system's metadata records (docs/spec/morph.md 9.2): systems,
 * strata, chunks, each sorted by artifact name; temporary build refs cut
 * to `baserock/builds/` plus 7 characters. `versions` maps a record file
 * to a guessed upstream version.
 */
export function manifestRows(
  records: readonly ImageRecord[],
  versions: ReadonlyMap<string, string> = new Map(),
): ManifestRow[] {
  return records
    .filter((r) => r.kind !== undefined && KIND_ORDER.includes(r.kind) && r['cache-key'])
    .sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.kind!) - KIND_ORDER.indexOf(b.kind!) ||
        String(a['artifact-name']).localeCompare(String(b['artifact-name'])),
    )
    .map((r) => {
      const version = versions.get(r.file);
      let ref = String(r.original_ref ?? '');
      const builds = ref.indexOf('baserock/builds/');
      if ((r.kind === 'system' || r.kind === 'stratum') && builds >= 0) {
        ref = ref.slice(0, builds + 'baserock/builds/'.length + 7);
      }
      return {
        artifact: `${String(r['cache-key']).slice(0, 7)}.${r.kind}.${r['artifact-name']}${version ? `-${version}` : ''}`,
        repository: String(r.repo ?? ''),
        ref,
        commit: String(r.sha1 ?? '').slice(0, 7),
      };
    });
}

/** The tab-separated table, each column left-justified to its widest value. */
export function formatManifest(rows: readonly ManifestRow[]): string {
  const header: ManifestRow = {
    artifact: 'ARTIFACT',
    repository: 'REPOSITORY',
    ref: 'REF',
    commit: 'COMMIT',
  };
  const all = [header, ...rows];
  const columns = ['artifact', 'repository', 'ref', 'commit'] as const;
  const widths = columns.map((c) => Math.max(...all.map((row) => row[c].length)));
  return all.map((row) => `${columns.map((c, i) => row[c].padEnd(widths[i]!)).join('\t')}\n`).join('');
}

/** `AC_INIT([name], [version], ...)` → version, from configure.ac text. */
export function autotoolsVersion(text: string): string | undefined {
  const match = /AC_INIT\(\s*\[?[^,\]]*\]?\s*,\s*\[?([^,\])]+)\]?/.exec(text);
  const version = match?.[1]?.trim();
  return version && /^[\w.+~-]+$/.test(version) ? version : undefined;
}

/**
 * Reads the metadata records of a system artifact: a directory, a tar
 * archive (only its metadata members are extracted) or a disk image
 * (mounted read-only on a loop device). Everything is undone before return.
 * @throws MorphError `deploy/not-a-system-artifact`.
 */
export async function readSystemArtifactMetadata(app: App, path: string): Promise<ImageRecord[]> {
  const info = await statIfPresent(path);
  if (!info) throw new MorphError('deploy', 'not-a-system-artifact', `${path} does not exist`);
  if (info.isDirectory()) return readFromTree(path);
  const cleanup = new CleanupStack();
  const onExit = () => cleanup.unwind();
  process.on('exit', onExit);
  try {
    const scratch = await mkdtemp(join(app.settings.tempdir, 'manifest-'));
    cleanup.push(`remove ${scratch}`, () => removeSync(scratch));
    const listing = await app.runApp(['tar', '-tf', path], { allowFailure: true });
    if (listing.exitCode === 0) {
      const members = listing.stdout
        .split('\n')
        .filter((m) => /^(\.\/)?(factory\/)?baserock\/[^/]+\.meta$/.test(m));
      if (members.length > 0) await app.runApp(['tar', '-xf', path, '-C', scratch, '--', ...members]);
      return await readFromTree(scratch, path);
    }
    const attach = await app.runApp(['losetup', '--show', '-f', '-r', '-P', path], { allowFailure: true });
    if (attach.exitCode !== 0) {
      throw new MorphError(
        'deploy',
        'not-a-system-artifact',
        `${path} is neither a tar archive nor a disk image`,
      );
    }
    const device = attach.stdout.trim();
    cleanup.push(`detach ${device}`, () => detachLoopSync(device));
    const table = await app.runApp(['blkid', '-p', '-s', 'PTTYPE', '-o', 'value', path], {
      allowFailure: true,
    });
    if (table.stdout.trim() !== '') await app.runApp(['partprobe', device], { allowFailure: true });
    const partition = table.stdout.trim() === '' ? device : await waitForNode(`${device}p1`);
    const mountpoint = join(scratch, 'mnt');
    await app.runApp(['mkdir', mountpoint]);
    const mount = await app.runApp(['mount', '-o', 'ro', partition, mountpoint], { allowFailure: true });
    if (mount.exitCode !== 0) {
      throw new MorphError(
        'deploy',
        'not-a-system-artifact',
        `${path} is neither a tar archive nor a mountable disk image`,
      );
    }
    cleanup.push(`unmount ${mountpoint}`, () => unmountSync(mountpoint));
    return await readFromTree(mountpoint, path);
  } finally {
    cleanup.unwind();
    process.off('exit', onExit);
  }
}

async function readFromTree(root: string, shownAs = root): Promise<ImageRecord[]> {
  for (const dir of METADATA_DIRS) {
    if ((await statIfPresent(join(root, dir)))?.isDirectory()) {
      return readImageMetadata(join(root, dir));
    }
  }
  throw new MorphError(
    'deploy',
    'not-a-system-artifact',
    `${shownAs} is not a system artifact: it has no baserock/ metadata`,
  );
}

/**
 * Guesses upstream versions of chunks whose commit is already in the git
 * cache (never fetching): `AC_INIT` of `configure.ac` / `configure.in`.
 * A git cache that cannot answer (sources errors) just means no version.
 */
export async function guessVersions(app: App, records: readonly ImageRecord[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const record of records) {
    const repo = record['repo-alias'] ?? record.repo;
    if (record.kind !== 'chunk' || !repo || !record.sha1) continue;
    for (const file of ['configure.ac', 'configure.in']) {
      try {
        const mirror = app.gitCache.mirrorPath(repo);
        if (!(await statIfPresent(mirror))) break;
        const text = (await app.gitCache.readFile(repo, record.sha1, file)).toString('utf8');
        const version = autotoolsVersion(text);
        if (version) versions.set(record.file, version);
        break;
      } catch (err) {
        // Not an autotools project, or the git cache cannot answer: no version. Bugs are not swallowed.
        if (!(err instanceof MorphError && err.domain === 'sources')) throw err;
      }
    }
  }
  return versions;
}

/** Waits for a device node the kernel creates a moment after a partition scan. */
async function waitForNode(node: string): Promise<string> {
  for (let waited = 0; !existsSync(node); waited += 50) {
    if (waited >= 10_000) throw new MorphError('deploy', 'not-a-system-artifact', `${node} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return node;
}
