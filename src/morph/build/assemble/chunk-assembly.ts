import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ArtifactCache, TreeCommit } from '../../cache/artifact-cache.js';
import { MorphError } from '../../errors.js';
import type { ByteString, SystemIntegration } from '../../model.js';
import { clampMtimes, makeOwnDirectory, writeOwnFile } from '../graph/hermetic.js';
import { devicesMetadata, storeArtifactDevices } from '../stage/artifact-devices.js';
import { type DeviceNode, describeSpecialFile } from '../stage/device-nodes.js';
import type { ArtifactPlan } from './artifact-plan.js';
import { formatMetadata } from './metadata-record.js';

/** Chooses the chunk artifact of a path relative to DESTDIR (first matching split rule). */
export type PathSplitter = (path: string) => string | undefined;

/**
 * Splits DESTDIR into chunk artifacts (docs/spec/morph.md 5.11) and commits each to the
 * artifact cache. Files are moved (not copied) into one tree per artifact
 * beside DESTDIR, together with the artifact's system-integration scripts and
 * `baserock/<artifact>.meta`; directories are re-created in every artifact
 * that needs them. What morph writes has explicit modes, and every mtime
 * is clamped to SOURCE_DATE_EPOCH (hermetic.ts). Device nodes and FIFOs are recorded beside (artifact-devices.ts).
 * @throws MorphError build/unsplit-files when a file matches no rule.
 */
export async function assembleChunkArtifacts(options: {
  destdir: string;
  workDir: string;
  artifacts: readonly ArtifactPlan[];
  split: PathSplitter;
  systemIntegration: SystemIntegration;
  cache: ArtifactCache;
}): Promise<void> {
  const { destdir } = options;
  const entries = walk(destdir);
  const assigned = new Map<string, string[]>(options.artifacts.map((a) => [a.name, []]));
  for (const entry of entries) {
    const artifact = options.split(entry.path);
    if (artifact === undefined) continue;
    assigned.get(artifact)?.push(entry.path);
  }
  const kinds = new Map(entries.map((entry) => [entry.path, entry.kind]));

  // Trees are carved out of DESTDIR one after the other, then committed together.
  const trees: TreeCommit[] = [];
  const devicesOf = new Map<string, DeviceNode[]>();
  for (const plan of options.artifacts) {
    const tree = join(options.workDir, `${plan.name}.artifact`);
    await rm(tree, { recursive: true, force: true });
    await mkdir(tree, { recursive: true });
    await chmod(tree, 0o755);
    const matched = assigned.get(plan.name) ?? [];
    const scripts = integrationScripts(plan.name, options.systemIntegration);
    const metaPath = `baserock/${plan.name}.meta`;
    const contents = closeUnderParents([...matched, ...scripts.map((s) => s.path), metaPath]);
    const devices: DeviceNode[] = [];
    // Synchronous calls: a big chunk has thousands of files, and one awaited
    // call per file costs a thread-pool round trip each (seconds in all).
    for (const path of contents) {
      const kind = kinds.get(path);
      if (kind === undefined) continue; // created below (baserock/ files and their directories)
      const source = join(destdir, path);
      const target = join(tree, path);
      if (kind === 'directory') copyDirectory(source, target);
      else if (kind === 'special') {
        devices.push(await describeSpecialFile(destdir, path).then(specialOnly(path)));
        await rm(source);
      } else renameSync(source, target);
    }
    for (const script of scripts) {
      await makeOwnDirectory(dirname(join(tree, script.path)));
      await writeOwnFile(join(tree, script.path), script.content, 0o555);
    }
    const record = { ...plan.record, 'artifact-name': plan.name, contents };
    await makeOwnDirectory(join(tree, 'baserock'));
    await writeOwnFile(join(tree, metaPath), formatMetadata(record));
    clampMtimes(tree);
    devicesOf.set(plan.ref, devices);
    trees.push({
      dir: tree,
      ref: plan.ref,
      subject: plan.name,
      metadata: devicesMetadata(devices),
      consume: true,
    });
  }
  try {
    await options.cache.commitTrees(trees);
    for (const [ref, devices] of devicesOf) {
      await storeArtifactDevices(options.cache, ref, devices, options.workDir);
    }
  } finally {
    for (const tree of trees) await rm(tree.dir, { recursive: true, force: true });
  }

  const left = walk(destdir)
    .filter((entry) => entry.kind !== 'directory')
    .map((entry) => entry.path);
  if (left.length > 0) {
    throw new MorphError(
      'build',
      'unsplit-files',
      `files matched no artifact: ${left.slice(0, 10).join(', ')}`,
      {
        hint: 'add a products rule matching them',
      },
    );
  }
}

/** A system-integration script of an artifact. */
interface Script {
  path: string;
  content: Buffer;
}

/** `baserock/system-integration/<prefix>-<artifact>-<NNNN>` files for one chunk artifact. */
export function integrationScripts(artifact: string, integration: SystemIntegration): Script[] {
  const scripts: Script[] = [];
  for (const [prefix, texts] of Object.entries(integration[artifact] ?? {})) {
    texts.forEach((text: ByteString, index: number) => {
      const name = `${prefix}-${artifact}-${String(index).padStart(4, '0')}`;
      scripts.push({
        path: `baserock/system-integration/${name}`,
        content: Buffer.concat([Buffer.from('#!/bin/sh\nset -xeu\n'), Buffer.from(text)]),
      });
    });
  }
  return scripts;
}

/** The paths plus all their parent directories, sorted, without `.`. */
export function closeUnderParents(paths: readonly string[]): string[] {
  const all = new Set<string>();
  for (const path of paths) {
    if (path === '.' || path === '') continue;
    all.add(path);
    for (let parent = dirname(path); parent !== '.' && parent !== '/'; parent = dirname(parent))
      all.add(parent);
  }
  return [...all].sort();
}

/** What an entry of DESTDIR is, as far as splitting cares. */
type EntryKind = 'directory' | 'special' | 'file';

interface Entry {
  path: string;
  kind: EntryKind;
}

/** Every directory, symlink and file under `root`, relative, `.` first (docs/spec/morph.md 5.11 candidates). */
function walk(root: string): Entry[] {
  const out: Entry[] = [{ path: '.', kind: 'directory' }];
  const visit = (relative: string): void => {
    const dirents = readdirSync(join(root, relative), { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      const path = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
      const special = dirent.isCharacterDevice() || dirent.isBlockDevice() || dirent.isFIFO();
      const kind: EntryKind = dirent.isDirectory() ? 'directory' : special ? 'special' : 'file';
      out.push({ path, kind });
      if (kind === 'directory') visit(path);
    }
  };
  visit('');
  return out;
}

/** A directory of the artifact tree with the mode and owner of its DESTDIR original. */
function copyDirectory(source: string, target: string): void {
  const st = lstatSync(source);
  mkdirSync(target, { recursive: true });
  chownSync(target, st.uid, st.gid);
  chmodSync(target, st.mode & 0o7777);
}

/** The description of a file the walk found special (it cannot have changed kind since). */
function specialOnly(path: string): (node: DeviceNode | undefined) => DeviceNode {
  return (node) => {
    if (!node) throw new MorphError('build', 'destdir-changed', `${path} changed while its chunk was split`);
    return node;
  };
}
