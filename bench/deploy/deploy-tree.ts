/**
 * Benchmark: making a writable deploy tree of a system (docs/spec/design.md 3.2).
 *
 *   reference  2015 morph: extract the system artifact tarball
 *   overlay    ours: hard-link checkout from OSTree + overlay mount
 *   copy       ours with union-filesystem=copy: plain OSTree checkout
 *
 * Each variant ends with the tree gone (unmount + rm), as after a deploy.
 * Usage (root): node dist/bench/deploy/deploy-tree.js [FILES] [KIB-PER-FILE] [RUNS]
 * (The issue 5 benchmark, a 300 MB system through the real deploy code and
 * the write extensions, is system-deploy.ts, run by run.sh.)
 * Prints the median of each and the ratios against the reference.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const files = Number(process.argv[2] ?? 4000);
const kib = Number(process.argv[3] ?? 16);
const runs = Number(process.argv[4] ?? 5);

const sh = (cmd: string, ...args: string[]) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(fn: (dir: string) => void, top: string): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(top, 'run-'));
    sh('sync');
    const start = performance.now();
    fn(dir);
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const top = mkdtempSync(join(process.env.BENCH_TMPDIR ?? tmpdir(), 'bench-deploy-tree-'));
try {
  const tree = join(top, 'system');
  for (let i = 0; i < files; i++) {
    const dir = join(tree, 'usr', `d${i % 50}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}`), Buffer.alloc(kib * 1024, i % 251));
  }
  const tarball = join(top, 'system.tar');
  sh('tar', '-C', tree, '-cf', tarball, '.');
  const repo = join(top, 'repo');
  sh('ostree', `--repo=${repo}`, 'init', '--mode=bare');
  sh('ostree', `--repo=${repo}`, 'commit', `--tree=dir=${tree}`, '--branch=system');

  const reference = time((dir) => {
    const out = join(dir, 'tree');
    mkdirSync(out);
    sh('tar', '-C', out, '-xf', tarball);
    writeFileSync(join(out, 'deployment.meta'), '{}');
    rmSync(dir, { recursive: true, force: true });
  }, top);

  const overlay = time((dir) => {
    for (const d of ['upper', 'work', 'mnt']) mkdirSync(join(dir, d));
    sh('ostree', `--repo=${repo}`, 'checkout', '-H', 'system', join(dir, 'lower'));
    const options = `lowerdir=${join(dir, 'lower')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`;
    sh('mount', '-t', 'overlay', 'bench', '-o', options, join(dir, 'mnt'));
    writeFileSync(join(dir, 'mnt', 'deployment.meta'), '{}');
    sh('umount', join(dir, 'mnt'));
    rmSync(dir, { recursive: true, force: true });
  }, top);

  const copy = time((dir) => {
    sh('ostree', `--repo=${repo}`, 'checkout', 'system', join(dir, 'tree'));
    writeFileSync(join(dir, 'tree', 'deployment.meta'), '{}');
    rmSync(dir, { recursive: true, force: true });
  }, top);

  const mib = ((files * kib) / 1024).toFixed(0);
  console.log(`deploy tree of ${files} files, ${mib} MiB, median of ${runs} runs`);
  console.log(`reference (tar extraction)   ${reference.toFixed(0).padStart(6)} ms`);
  console.log(
    `overlay (hard links + mount) ${overlay.toFixed(0).padStart(6)} ms   ${(reference / overlay).toFixed(2)}x faster`,
  );
  console.log(
    `copy (plain checkout)        ${copy.toFixed(0).padStart(6)} ms   ${(reference / copy).toFixed(2)}x faster`,
  );
} finally {
  rmSync(top, { recursive: true, force: true });
}
