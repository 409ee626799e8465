import { chmod, chown, lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ArtifactCache, TreeCommit } from '../cache/artifact-cache.js';
import { MorphError } from '../errors.js';
import type { ByteString, SystemIntegration } from '../model.js';
import { devicesMetadata, storeArtifactDevices } from './artifact-devices.js';
import { type DeviceNode, describeSpecialFile } from './device-nodes.js';
import { formatMetadata, type MetadataRecord } from './metadata-record.js';

/** Chooses the chunk artifact of a path relative to DESTDIR (first matching split rule). */
export type PathSplitter = (path: string) => string | undefined;

/** One chunk artifact to produce. */
export interface ChunkArtifactPlan {
  name: string;
  /** Its OSTree ref. */
  ref: string;
  /** The metadata record without `contents`, which assembly fills in. */
  record: Omit<MetadataRecord, 'contents' | 'artifact-name'>;
}

/**
 * Splits DESTDIR into chunk artifacts (morph.md 5.11) and commits each to the
 * artifact cache. Files are moved (not copied) into one tree per artifact
 * beside DESTDIR, together with the artifact's system-integration scripts and
 * `baserock/<artifact>.meta`; directories are re-created in every artifact
 * that needs them. Device nodes and FIFOs are recorded beside (artifact-devices.ts).
 * @throws MorphError build/unsplit-files when a file matches no rule.
 */
export async function assembleChunkArtifacts(options: {
  destdir: string;
  workDir: string;
  artifacts: readonly ChunkArtifactPlan[];
  split: PathSplitter;
  systemIntegration: SystemIntegration;
  cache: ArtifactCache;
}): Promise<void> {
  const { destdir } = options;
  const entries = await walk(destdir);
  const assigned = new Map<string, string[]>(options.artifacts.map((a) => [a.name, []]));
  for (const entry of entries) {
    const artifact = options.split(entry.path);
    if (artifact === undefined) continue;
    assigned.get(artifact)?.push(entry.path);
  }
  const kinds = new Map(entries.map((entry) => [entry.path, entry.isDir]));

  // Trees are carved out of DESTDIR one after the other, then committed together.
  const trees: TreeCommit[] = [];
  const devicesOf = new Map<string, DeviceNode[]>();
  for (const plan of options.artifacts) {
    const tree = join(options.workDir, `${plan.name}.artifact`);
    await rm(tree, { recursive: true, force: true });
    await mkdir(tree, { recursive: true });
    const matched = assigned.get(plan.name) ?? [];
    const scripts = integrationScripts(plan.name, options.systemIntegration);
    const metaPath = `baserock/${plan.name}.meta`;
    const contents = closeUnderParents([...matched, ...scripts.map((s) => s.path), metaPath]);
    const devices: DeviceNode[] = [];
    for (const path of contents) {
      const isDir = kinds.get(path);
      if (isDir === undefined) continue; // created below (baserock/ files and their directories)
      const source = join(destdir, path);
      const target = join(tree, path);
      if (isDir) {
        await copyDirectory(source, target);
        continue;
      }
      const special = await describeSpecialFile(destdir, path);
      if (special) {
        devices.push(special);
        await rm(source);
      } else {
        await mkdir(dirname(target), { recursive: true });
        await rename(source, target);
      }
    }
    for (const script of scripts) {
      await mkdir(dirname(join(tree, script.path)), { recursive: true });
      await writeFile(join(tree, script.path), script.content, { mode: 0o555 });
      await chmod(join(tree, script.path), 0o555);
    }
    const record = { ...plan.record, 'artifact-name': plan.name, contents };
    await mkdir(join(tree, 'baserock'), { recursive: true });
    await writeFile(join(tree, metaPath), formatMetadata(record));
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

  const left = (await walk(destdir)).filter((entry) => !entry.isDir).map((entry) => entry.path);
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

interface Entry {
  path: string;
  isDir: boolean;
}

/** Every directory, symlink and file under `root`, relative, `.` first (morph.md 5.11 candidates). */
async function walk(root: string): Promise<Entry[]> {
  const out: Entry[] = [{ path: '.', isDir: true }];
  const visit = async (relative: string): Promise<void> => {
    const names = (await readdir(join(root, relative))).sort();
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const st = await lstat(join(root, path));
      out.push({ path, isDir: st.isDirectory() });
      if (st.isDirectory()) await visit(path);
    }
  };
  await visit('');
  return out;
}

async function copyDirectory(source: string, target: string): Promise<void> {
  const st = await lstat(source);
  await mkdir(target, { recursive: true });
  await chown(target, st.uid, st.gid);
  await chmod(target, st.mode & 0o7777);
}
