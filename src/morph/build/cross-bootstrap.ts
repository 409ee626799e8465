import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../shared/exec.js';
import { ArtifactCache } from '../cache/artifact-cache.js';
import { artifactRef } from '../cache/artifact-ref.js';
import { isArchitecture } from '../definitions/architecture.js';
import { MorphError } from '../errors.js';
import { CHUNK_COMMAND_FIELDS } from '../model.js';
import { buildChunk } from './execute/chunk-builder.js';
import type { BuildApp } from './graph/build-app.js';
import type { KeyedChunkSource, KeyedSource } from './graph/keyed-source.js';
import { resolveBuildGraph } from './graph/resolve-build-graph.js';
import { DependencyTrees } from './stage/dependency-trees.js';
import { createStagingArea, installArtifacts } from './stage/staging-area.js';

/** The result of a cross-bootstrap. */
export interface CrossBootstrapOutcome {
  /** OSTree ref of the bootstrap tree (`artifacts/<key>/cross-bootstrap/<system>-rootfs`). */
  ref: string;
  repoPath: string;
}

/**
 * `morph cross-bootstrap` (docs/spec/morph.md 5.15): builds the system's bootstrap-mode
 * chunks on the host, fetches the sources of every other chunk, and stores a
 * tree with the bootstrap chunks installed, `src/<repo>__<ref>` source trees,
 * one `src/build-<chunk>` script per native chunk and a `native-bootstrap`
 * driver that runs them in order on the target.
 * @throws MorphError build/unknown-architecture, build/arch-mismatch, build/nothing-to-cross-compile.
 */
export async function crossBootstrap(
  app: BuildApp,
  request: { arch: string; repo: string; ref: string; file: string },
): Promise<CrossBootstrapOutcome> {
  if (!isArchitecture(request.arch)) {
    throw new MorphError('build', 'unknown-architecture', `Unknown architecture ${request.arch}`);
  }
  const build = await resolveBuildGraph(
    app,
    { repo: request.repo, ref: request.ref, file: request.file },
    { checkArchitecture: false, arch: request.arch },
  );
  if (build.system.arch !== request.arch) {
    throw new MorphError(
      'build',
      'arch-mismatch',
      `Target architecture is ${request.arch} but the system architecture is ${build.system.arch}`,
    );
  }
  const chunks = build.graph.order.filter((s): s is KeyedChunkSource => s.kind === 'chunk');
  const bootstrap = chunks.filter((s) => s.buildMode === 'bootstrap');
  const native = chunks.filter((s) => s.buildMode !== 'bootstrap');
  if (bootstrap.length === 0) {
    throw new MorphError(
      'build',
      'nothing-to-cross-compile',
      `Nothing to cross-compile: ${request.file} has no bootstrap chunks`,
    );
  }
  const cache = await ArtifactCache.open(app.settings.cachedir);
  const total = bootstrap.length;
  const dependencyTrees = new DependencyTrees(cache, join(app.settings.tempdir, 'staging'), (argv) =>
    app.runApp(argv),
  );
  try {
    for (const [index, source] of bootstrap.entries()) {
      const status = app.status.withPrefix(`[${index + 1}/${total}] ${source.name}: `);
      const missing = await Promise.all(
        source.artifacts.map(async (a) => !(await cache.has(source.cacheKey, 'chunk', a.name))),
      );
      if (!missing.some(Boolean)) continue;
      status.normal(`Building bootstrap chunk ${source.name}`);
      const ctx = { app, cache, arch: build.arch, env: build.env, status, dependencyTrees };
      await buildChunk({ ...ctx, commandSlot: (work) => work() }, source);
    }
  } finally {
    await dependencyTrees.removeAll();
  }

  const tree = await createStagingArea(app.settings.tempdir);
  try {
    const refs = bootstrap.flatMap((s) => s.artifacts.map((a) => artifactRef(s.cacheKey, 'chunk', a.name)));
    await installArtifacts(cache, refs, tree);
    await mkdir(join(tree, 'src'), { recursive: true });
    const scripts: string[] = [];
    for (const source of native) {
      const dir = `${source.repoName}__${source.originalRef}`.replace(/[:/]/g, '_');
      const target = join(tree, 'src', dir);
      await rm(target, { recursive: true, force: true });
      app.status.normal(`Fetching source of ${source.name}`);
      await exportSource(app, source, target);
      // Two chunks may share a name (the fixture's two test-chunks): number the later ones.
      let name = `build-${source.name}`;
      for (let n = 2; scripts.includes(name); n++) name = `build-${source.name}-${n}`;
      scripts.push(name);
      const script = join(tree, 'src', name);
      await writeFile(script, buildScript(source, dir, build.env));
      await chmod(script, 0o755);
    }
    const driver = join(tree, 'native-bootstrap');
    const lines = ['#!/bin/sh', '# Builds and installs the native chunks in order.', 'set -e'];
    for (const name of scripts) lines.push(`echo "Running ${name}"`, `sh "/src/${name}"`);
    await writeFile(driver, `${lines.join('\n')}\n`);
    await chmod(driver, 0o755);
    await chmod(tree, 0o755);
    const ref = artifactRef(build.cacheKey, 'cross-bootstrap', build.artifactName);
    await cache.commitTree(tree, ref, { subject: `${build.artifactName} cross-bootstrap` });
    return { ref, repoPath: cache.repoPath };
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

async function exportSource(app: BuildApp, source: KeyedSource, target: string): Promise<void> {
  const repo = await app.gitCache.getRepo(source.repoName);
  await mkdir(target, { recursive: true });
  await runCommand([
    'sh',
    '-c',
    'git -C "$1" archive "$2" | tar -x -C "$3"',
    'export-source',
    repo.path,
    source.commit,
    target,
  ]);
}

/** The shell script that builds one native chunk on the target. */
export function buildScript(source: KeyedChunkSource, dir: string, env: Record<string, string>): Buffer {
  const morphology = source.morphology;
  const parts: Buffer[] = [];
  const line = (text: string | Buffer): void => {
    parts.push(Buffer.from(text), Buffer.from('\n'));
  };
  line('#!/bin/sh');
  line(`# Build script for chunk ${source.name}, generated by morph cross-bootstrap`);
  line('set -e');
  for (const name of ['MORPH_ARCH', 'TARGET', 'TARGET_STAGE1']) line(`export ${name}='${env[name] ?? ''}'`);
  line(`export PREFIX='${source.prefix}'`);
  line('export DESTDIR=/');
  line(`cd "/src/${dir}"`);
  for (const field of CHUNK_COMMAND_FIELDS) {
    const commands = morphology[field] ?? [];
    if (commands.length === 0) continue;
    line(`# ${field.replace(/-commands$/, '')}`);
    for (const command of commands) line(command);
  }
  return Buffer.concat(parts);
}
