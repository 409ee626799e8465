/**
 * Deploy benchmark of issue 5 (run by bench/deploy/run.sh, as root).
 *
 * Generates a ~300 MB, ~20,000-entry system (system-tree.ts), commits it to
 * an OSTree artifact cache as a system artifact (ArtifactCache.commitTree,
 * as the system builder does), then measures in one run:
 *
 *   (a) deploy-tree readiness: createDeployTree (the code `morph deploy`
 *       runs: an overlay mount over the artifact's shared hard-link
 *       checkout, made by the first deploy tree and reused by the next)
 *       against a GNU `tar -xf` of the same system (the 2015 way), both for
 *       the first deploy tree and a later one; goal <= 0.1x;
 *   (b) the tar, sysroot and rawdisk write extensions (morphlib/exts/) on a
 *       fresh deploy tree each, told the tree's layers as morph tells them;
 *       rawdisk three ways: the first deployment of the artifact (which
 *       makes its pristine image), a later one (which copies it) and per
 *       file (no layers); throughput goal >= 150 MB/s and <= 2 s for
 *       300 MB, with a per-phase profile from the status lines; with
 *       BENCH_REPLAY=1 also a by-hand replay of the per-file steps (mkfs,
 *       cp -a, sync), as rawdisk does them now and as it did before;
 *   (c) the disk's sequential write speed (dd, O_DIRECT + fsync, and
 *       buffered + fsync) on the same filesystem.
 *
 * Environment: BENCH_DIR (default /var/tmp), BENCH_RUNS (default 3),
 * BENCH_ENTRIES (20000), BENCH_BYTES (300000000), BENCH_REPLAY=1,
 * KEEP=1 keeps the dir.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type App, createApp } from '../../src/morph/app.js';
import { checkoutSystemArtifact } from '../../src/morph/build/stage/system-artifact.js';
import { ArtifactCache } from '../../src/morph/cache/artifact-cache.js';
import { createDeployTree, type DeployTree } from '../../src/morph/deploy/deploy-tree.js';
import { sharedCheckoutsDir } from '../../src/morph/deploy/shared-checkout.js';
import { artifactRevision } from '../../src/morph/deploy/system-resolver.js';
import {
  computeBtrfsImageSize,
  computeImageSize,
  MIXED_MODE_LIMIT,
} from '../../src/morph/extensions/builtin/image-size.js';
import { PRISTINE_DIR } from '../../src/morph/extensions/builtin/pristine-image.js';
import { deployLayerEnvironment } from '../../src/morph/extensions/deploy-layers.js';
import { loadSettings } from '../../src/morph/settings/load-settings.js';
import { CleanupStack } from '../../src/shared/cleanup-stack.js';
import { generateSystemTree } from './system-tree.js';

const SRC = fileURLToPath(new URL('../../../', import.meta.url));
const EXTS = join(SRC, 'morphlib', 'exts');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const entries = Number(process.env.BENCH_ENTRIES ?? 20_000);
const targetBytes = Number(process.env.BENCH_BYTES ?? 300_000_000);
const CACHE_KEY = 'b'.repeat(64);
const RAWDISK_FIRST = 'rawdisk, first of the artifact (pristine image made)';
const RAWDISK_LATER = 'rawdisk, later (pristine image reused)';
const RAWDISK_PER_FILE = 'rawdisk, per file (no layers)';
const ARTIFACT = 'bench-system-x86_64-rootfs';

const sh = (cmd: string, ...args: string[]) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 }).toString();
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Flushes dirty pages, so that no run pays for an earlier one's writeback;
 * with `cold` (or BENCH_COLD=1) also drops the page cache.
 */
function settle(cold = process.env.BENCH_COLD === '1'): void {
  sh('sync');
  if (cold) spawnSync('sh', ['-c', 'echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
}

const top = mkdtempSync(join(process.env.BENCH_DIR ?? '/var/tmp', 'bench-deploy-'));
const cleanup = new CleanupStack();

/** Unmounts anything left under the top dir, detaches its loop devices, removes it. */
function removeAll(): void {
  cleanup.unwind();
  const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout ?? '';
  for (const target of mounts
    .split('\n')
    .filter((m) => m.startsWith(top))
    .reverse()) {
    spawnSync('umount', ['-l', target], { stdio: 'ignore' });
  }
  const loops = spawnSync('losetup', ['-n', '-O', 'NAME,BACK-FILE'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of loops.split('\n')) {
    const [name, file] = line.trim().split(/\s+/);
    if (name && file?.startsWith(top)) spawnSync('losetup', ['-d', name], { stdio: 'ignore' });
  }
  if (process.env.KEEP === '1') console.error(`kept ${top}`);
  else spawnSync('rm', ['-rf', '--one-file-system', top], { stdio: 'ignore' });
}

let interrupted: NodeJS.Signals | undefined;
let running: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    process.stderr.write(`ERROR: bench/deploy interrupted by ${signal}; cleaning up\n`);
    // The extension cleans up after itself (unmount, loop device, partial image) on SIGTERM.
    running?.kill('SIGTERM');
    removeAll();
    // A child started asynchronously (ostree, the extension) may still be writing: once more after it.
    setTimeout(() => {
      removeAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }, 2000);
  });
}

async function makeApp(): Promise<App> {
  const argv = [
    '--no-default-configs',
    `--tempdir=${join(top, 'tmp')}`,
    `--cachedir=${join(top, 'cache')}`,
    '--union-filesystem=overlayfs',
  ];
  const { settings } = await loadSettings(argv, { env: {}, cwd: top, cpus: 2 });
  return createApp(
    settings,
    { stdout: () => {}, stderr: (t) => process.stderr.write(t), log: { debug: () => {}, raw: () => {} } },
    { cwd: top, signal: new AbortController().signal },
  );
}

/**
 * The deploy tree exactly as deploy-system.ts makes it: over the shared
 * checkout of the artifact, made by the first deployment and reused by the
 * next ones (src/morph/deploy/shared-checkout.ts).
 */
async function deployTree(app: App, label: string): Promise<DeployTree> {
  const cache = await ArtifactCache.open(join(top, 'cache'));
  const repo = cache.repoPath;
  const revision = await artifactRevision(cache, cache.ref(CACHE_KEY, 'system', ARTIFACT));
  if (revision === undefined) throw new Error('the benchmark artifact has no revision');
  return createDeployTree(app, {
    parentDir: join(top, 'tmp'),
    label,
    cleanup,
    populate: (dir) => checkoutSystemArtifact(app, CACHE_KEY, ARTIFACT, dir),
    shared: { dir: sharedCheckoutsDir(join(top, 'cache')), revision, repo },
  });
}

/** Removes the shared checkouts: the next deploy tree is the first of its artifact again. */
function forgetSharedCheckouts(): void {
  spawnSync('rm', ['-rf', '--one-file-system', sharedCheckoutsDir(join(top, 'cache'))], { stdio: 'ignore' });
}

/** The tree of the (only) shared checkout. */
function sharedCheckoutTree(): string {
  const dir = sharedCheckoutsDir(join(top, 'cache'));
  const name = readdirSync(dir).find((n) => !n.startsWith('.'));
  if (!name) throw new Error('no shared checkout to copy');
  return join(dir, name, 'tree');
}

/** Removes the pristine images: the next rawdisk deployment is the first of its artifact again. */
function forgetPristineImages(): void {
  const dir = sharedCheckoutsDir(join(top, 'cache'));
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    rmSync(join(dir, name, PRISTINE_DIR), { recursive: true, force: true });
  }
}

interface ExtensionTiming {
  ms: number;
  /** Including a `sync` after the extension returned. */
  syncedMs: number;
  /** [elapsed ms, status line] for each stdout line. */
  lines: [number, string][];
}

/** Runs `<type>.write TREE LOCATION` as morph would, timing it and its status lines. */
function runWrite(type: string, tree: string, location: string, env: Record<string, string>) {
  return new Promise<ExtensionTiming>((resolve, reject) => {
    const lines: [number, string][] = [];
    const start = performance.now();
    const child = spawn(join(EXTS, `${type}.write`), [tree, location], {
      env: { ...process.env, TMPDIR: join(top, 'tmp'), ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    running = child;
    let buffered = '';
    child.stdout.on('data', (data: Buffer) => {
      buffered += data.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) lines.push([performance.now() - start, line]);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      running = undefined;
      const ms = performance.now() - start;
      if (code !== 0) return reject(new Error(`${type}.write exited with ${code}`));
      sh('sync');
      resolve({ ms, syncedMs: performance.now() - start, lines });
    });
  });
}

/** dd throughput in MB/s: 1 GiB of zeros, `flags` e.g. oflag=direct. */
function ddSpeed(flags: string[]): number {
  const file = join(top, 'dd.img');
  settle();
  const start = performance.now();
  sh('dd', 'if=/dev/zero', `of=${file}`, 'bs=1M', 'count=1024', 'conv=fsync', ...flags);
  const ms = performance.now() - start;
  rmSync(file, { force: true });
  return (1024 * 1048576) / 1e6 / (ms / 1000);
}

/** Replays rawdisk's steps by hand to see where the time goes. */
function rawdiskReplay(
  tree: string,
  size: number,
  mixed: boolean,
  directIo: boolean,
): Record<string, number> {
  const image = join(top, 'replay.img');
  const mnt = mkdtempSync(join(top, 'replay-mnt-'));
  const phases: Record<string, number> = {};
  const step = (name: string, fn: () => void) => {
    const start = performance.now();
    fn();
    phases[name] = performance.now() - start;
  };
  let loop = '';
  let mounted = false;
  try {
    step('truncate+losetup', () => {
      sh('truncate', '-s', String(size), image);
      loop = sh('losetup', '--show', '-f', ...(directIo ? ['--direct-io=on'] : []), image).trim();
    });
    step(`mkfs.btrfs${mixed ? ' -M' : ''}`, () =>
      sh('mkfs.btrfs', '-f', ...(mixed ? ['-M'] : []), '-L', 'baserock', loop),
    );
    step('mount', () => {
      sh('mount', loop, mnt);
      mounted = true;
    });
    step('subvolume create', () => {
      mkdirSync(join(mnt, 'systems', 'factory'), { recursive: true });
      sh('btrfs', 'subvolume', 'create', join(mnt, 'systems', 'factory', 'orig'));
    });
    const orig = join(mnt, 'systems', 'factory', 'orig');
    step('cp -a (into the page cache)', () => sh('cp', '-a', `${tree}/.`, `${orig}/.`));
    step('sync -f (writeback + btrfs commit)', () => sh('sync', '-f', mnt));
    step('snapshot', () =>
      sh(
        'btrfs',
        'subvolume',
        'snapshot',
        join(mnt, 'systems', 'factory', 'orig'),
        join(mnt, 'systems', 'factory', 'run'),
      ),
    );
    step('umount+detach', () => {
      sh('umount', mnt);
      mounted = false;
      sh('losetup', '-d', loop);
      loop = '';
    });
  } finally {
    if (mounted) spawnSync('umount', ['-l', mnt], { stdio: 'ignore' });
    if (loop) spawnSync('losetup', ['-d', loop], { stdio: 'ignore' });
    rmSync(image, { force: true });
  }
  return phases;
}

async function main(): Promise<void> {
  const out: string[] = [];
  const print = (line = '') => {
    out.push(line);
    console.log(line);
  };
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').trim();
  const system = join(top, 'system');
  mkdirSync(join(top, 'tmp'));
  let start = performance.now();
  const progress = (what: string) => process.stderr.write(`[${new Date().toISOString()}] ${what}\n`);
  progress('generating the system');
  const stats = generateSystemTree(system, { entries, bytes: targetBytes });
  const genMs = performance.now() - start;
  const du = Number.parseInt(sh('du', '-s', '-x', '--block-size=1', system), 10);

  const app = await makeApp();
  const cache = await ArtifactCache.open(join(top, 'cache'));
  start = performance.now();
  await cache.commitTree(system, cache.ref(CACHE_KEY, 'system', ARTIFACT), { subject: ARTIFACT });
  const commitMs = performance.now() - start;
  const tarball = join(top, 'system.tar');
  sh('tar', '-C', system, '-cf', tarball, '.');
  // The source tree is no longer needed; keep the disk for what is measured.
  rmSync(system, { recursive: true, force: true });

  progress('measuring the disk, deploy trees');
  // (c) the disk, first, on an idle page cache.
  const ddDirect = ddSpeed(['oflag=direct']);
  const ddBuffered = ddSpeed([]);

  // (a) deploy tree readiness vs tar extraction, alternating, `runs` times:
  // the first deploy tree of the artifact (which makes its shared checkout)
  // and the next one (which reuses it).
  const tarMs: number[] = [];
  const firstMs: number[] = [];
  const treeMs: number[] = [];
  const floorMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    settle();
    const dir = join(top, `extract-${i}`);
    start = performance.now();
    mkdirSync(dir);
    sh('tar', '-C', dir, '-xf', tarball);
    tarMs.push(performance.now() - start);
    rmSync(dir, { recursive: true, force: true });

    forgetSharedCheckouts();
    settle();
    start = performance.now();
    const first = await deployTree(app, `first-${i}`);
    firstMs.push(performance.now() - start);
    first.dispose();

    // The floor of any hard-link checkout of these entries on this machine:
    // `cp -al` of the shared checkout just made (no object lookups, no
    // metadata to apply), so that each run shows how far the design can go.
    settle();
    const floorDir = join(top, `floor-${i}`);
    start = performance.now();
    sh('cp', '-al', sharedCheckoutTree(), floorDir);
    floorMs.push(performance.now() - start);
    rmSync(floorDir, { recursive: true, force: true });

    settle();
    start = performance.now();
    const tree = await deployTree(app, `ready-${i}`);
    treeMs.push(performance.now() - start);
    if (!existsSync(join(tree.path, 'boot', 'vmlinuz'))) throw new Error('deploy tree is incomplete');
    tree.dispose();
  }

  // (a') the same once more with a cold page cache (the artifact not read since boot).
  settle(true);
  const coldDir = join(top, 'extract-cold');
  start = performance.now();
  mkdirSync(coldDir);
  sh('tar', '-C', coldDir, '-xf', tarball);
  const tarCold = performance.now() - start;
  rmSync(coldDir, { recursive: true, force: true });
  forgetSharedCheckouts();
  settle(true);
  start = performance.now();
  const coldTree = await deployTree(app, 'first-cold');
  const treeCold = performance.now() - start;
  coldTree.dispose();

  progress('write extensions');
  // (b) write extensions, each on a fresh deploy tree, with the deploy
  // tree's layers in the environment as morph passes them. rawdisk three
  // ways: the first deployment of the artifact (its pristine image made
  // first), a later one (the pristine image reused), and per file (no
  // layers, as when run by hand: the path before the pristine image).
  const results = new Map<string, ExtensionTiming[]>();
  const variants: [string, string, () => void, boolean][] = [
    ['tar', 'tar', () => {}, true],
    ['sysroot', 'sysroot', () => {}, true],
    ['rawdisk', RAWDISK_FIRST, forgetPristineImages, true],
    ['rawdisk', RAWDISK_LATER, () => {}, true],
    ['rawdisk', RAWDISK_PER_FILE, () => {}, false],
  ];
  for (let i = 0; i < runs; i++) {
    for (const [type, label, prepare, layered] of variants) {
      const tree = await deployTree(app, `${type}-${i}`);
      const location = join(top, `${type}-${i}.out`);
      prepare();
      settle();
      try {
        const env = layered && tree.layers ? deployLayerEnvironment(tree.layers) : {};
        const timing = await runWrite(type, tree.path, location, env);
        results.set(label, [...(results.get(label) ?? []), timing]);
      } finally {
        tree.dispose();
        rmSync(location, { recursive: true, force: true });
      }
    }
  }

  if (process.env.BENCH_REPLAY === '1') progress('rawdisk replay');
  // Where rawdisk spends its time: the same steps by hand on a deploy tree,
  // as rawdisk does them now (BTRFS_HEADROOM times the tree's usage, loop
  // device with direct I/O) and as it did before (25% margin, so mixed
  // block groups below 1 GiB, and a buffered loop device), alternating.
  const newBytes = computeBtrfsImageSize(du);
  const oldBytes = computeImageSize(du);
  const replays: [string, Record<string, number>][] = [];
  const replayVariants = [
    [newBytes, true, 'now'],
    [oldBytes, false, 'before'],
  ] as const;
  const replayRuns = process.env.BENCH_REPLAY === '1' ? Math.min(runs, 2) : 0;
  for (let i = 0; i < replayRuns; i++) {
    for (const [size, directIo, when] of replayVariants) {
      const mixed = size < MIXED_MODE_LIMIT;
      const replayTree = await deployTree(app, 'replay');
      settle();
      try {
        replays.push([
          `${when}: ${mb(size)} MB image${mixed ? ', mixed block groups' : ''}, ${directIo ? 'direct I/O' : 'buffered'} loop device, cp -a`,
          rawdiskReplay(replayTree.path, size, mixed, directIo),
        ]);
      } finally {
        replayTree.dispose();
      }
    }
  }

  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? '?').trim();
  const kernel = sh('uname', '-r').trim();
  const fsType = sh('findmnt', '-n', '-o', 'FSTYPE,SOURCE', '--target', top).trim();
  const treeMedian = median(treeMs);
  const tarMedian = median(tarMs);
  const labels = ['tar', 'sysroot', RAWDISK_FIRST, RAWDISK_LATER, RAWDISK_PER_FILE];
  const syncedMedian = (label: string) => median(results.get(label)!.map((r) => r.syncedMs));
  const speedOf = (ms: number) => stats.bytes / 1e6 / (ms / 1000);

  print(`# Deploy benchmark (issue 5), ${new Date().toISOString()}`);
  print(`machine: ${cpu}, ${sh('nproc').trim()} cpus, kernel ${kernel}, ${top} on ${fsType}`);
  print(
    `system: ${stats.files} files, ${stats.symlinks} symlinks, ${stats.hardlinks} hard links, ` +
      `${stats.directories} dirs; ${mb(stats.bytes)} MB of content, ${mb(du)} MB on disk ` +
      `(generated in ${seconds(genMs)} s, committed to OSTree in ${seconds(commitMs)} s)`,
  );
  print(
    `medians of ${runs} runs after a sync, page cache ${process.env.BENCH_COLD === '1' ? 'dropped' : 'kept'} (BENCH_COLD=1 drops it)`,
  );
  print();
  print('| measurement | time (s) | ratio / speed | goal | verdict |');
  print('|---|---:|---:|---|---|');
  const verdict = (ratio: number) => (ratio <= 0.1 ? 'met' : `MISSED by ${(ratio / 0.1).toFixed(1)}x`);
  const treeRow = (label: string, ms: number, tar: number) =>
    print(`| ${label} | ${seconds(ms)} | ${(ms / tar).toFixed(3)}x tar | <= 0.1x | ${verdict(ms / tar)} |`);
  const range = (values: number[]) =>
    values.length > 1 ? ` (${seconds(Math.min(...values))}-${seconds(Math.max(...values))})` : '';
  print(`| GNU tar -xf of the system (reference) | ${seconds(tarMedian)}${range(tarMs)} | 1.00 | | |`);
  treeRow('deploy tree ready (shared checkout reused + overlay)', treeMedian, tarMedian);
  treeRow(
    'first deploy tree of the artifact (hard-link checkout made + overlay)',
    median(firstMs),
    tarMedian,
  );
  const floor = median(floorMs);
  print(
    `| floor: \`cp -al\` of the same checkout (any hard-link checkout) | ${seconds(floor)}${range(floorMs)} | ${(floor / tarMedian).toFixed(3)}x tar | | |`,
  );
  print(`| GNU tar -xf, cold page cache | ${seconds(tarCold)} | 1.00 | | |`);
  treeRow('first deploy tree, cold page cache', treeCold, tarCold);
  for (const label of labels) {
    const samples = results.get(label)!;
    const ms = median(samples.map((s) => s.ms));
    const synced = syncedMedian(label);
    const speed = speedOf(synced);
    let goal = '';
    let verdict = '';
    if (label.startsWith('rawdisk')) {
      const per300 = (synced / 1000) * (300e6 / stats.bytes);
      goal = '>= 150 MB/s, <= 2 s per 300 MB';
      verdict =
        speed >= 150 && per300 <= 2
          ? `met (${per300.toFixed(1)} s per 300 MB)`
          : `MISSED: ${(150 / speed).toFixed(1)}x too slow (${per300.toFixed(1)} s per 300 MB)`;
    }
    print(
      `| ${label}.write (+ sync: ${seconds(synced)} s) | ${seconds(ms)} | ${speed.toFixed(0)} MB/s | ${goal} | ${verdict} |`.replace(
        /^\| (rawdisk), ([^.]*)\.write/,
        '| $1.write, $2',
      ),
    );
  }
  print(`| dd 1 GiB, oflag=direct conv=fsync | | ${ddDirect.toFixed(0)} MB/s | | |`);
  print(`| dd 1 GiB, buffered conv=fsync | | ${ddBuffered.toFixed(0)} MB/s | | |`);
  print();
  for (const label of [RAWDISK_FIRST, RAWDISK_LATER, RAWDISK_PER_FILE]) {
    const speed = speedOf(syncedMedian(label));
    print(
      `${label}: ${speed.toFixed(0)} MB/s = ${(speed / ddDirect).toFixed(2)}x the disk's direct ` +
        `sequential write speed, ${(speed / ddBuffered).toFixed(2)}x buffered`,
    );
  }
  for (const label of [RAWDISK_FIRST, RAWDISK_LATER, RAWDISK_PER_FILE]) {
    print();
    print(`${label}: phases of the median run, from its status lines:`);
    const samples = results.get(label)!;
    const mid = [...samples].sort((a, b) => a.syncedMs - b.syncedMs)[Math.floor(samples.length / 2)]!;
    let previous = 0;
    for (const [at, line] of mid.lines) {
      print(`  ${seconds(at - previous).padStart(6)} s  until: ${line}`);
      previous = at;
    }
    print(`  ${seconds(mid.ms - previous).padStart(6)} s  to exit`);
    print(`  ${seconds(mid.syncedMs - mid.ms).padStart(6)} s  sync`);
  }
  print();
  print(
    `load average at the start: ${loadAtStart}; at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
  for (const [label, phases] of replays) {
    print(`rawdisk replayed by hand (${label}):`);
    for (const [name, ms] of Object.entries(phases)) print(`  ${seconds(ms).padStart(6)} s  ${name}`);
  }
}

try {
  await main();
} catch (err) {
  // An interrupted run fails wherever it was: the signal handler reports and exits.
  if (!interrupted) throw err;
} finally {
  if (!interrupted) removeAll();
}
