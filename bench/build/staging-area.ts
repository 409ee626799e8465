/**
 * Benchmark: storing chunk artifacts and assembling a staging area from them
 * (docs/spec/design.md 3.1).
 *
 *   reference  2015 morph: `tar -cf` each chunk artifact; a staging area
 *              extracts every tarball (first use, before its hard-link cache)
 *   ours       `ostree commit --consume` each artifact; a staging area is
 *              one hard-link checkout of all artifacts layered into one commit
 *
 * Usage: node dist/bench/build/staging-area.js [CHUNKS] [FILES-PER-CHUNK] [KIB-PER-FILE] [RUNS]
 * Prints the median of each phase and the ratio ours / reference.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ArtifactCache } from '../../src/morph/cache/artifact-cache.js';

const chunks = Number(process.argv[2] ?? 20);
const filesPerChunk = Number(process.argv[3] ?? 200);
const kib = Number(process.argv[4] ?? 8);
const runs = Number(process.argv[5] ?? 3);

const sh = (cmd: string, ...args: string[]): void => {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function makeChunk(dir: string, chunk: number, run: number): void {
  for (let i = 0; i < filesPerChunk; i++) {
    const sub = join(dir, 'usr', 'lib', `chunk${chunk}`, `d${i % 10}`);
    mkdirSync(sub, { recursive: true });
    const data = Buffer.alloc(kib * 1024, (chunk * 31 + i + run * 7) % 251);
    writeFileSync(join(sub, `f${i}`), data);
  }
}

async function main(): Promise<void> {
  const top = mkdtempSync(join(process.env.BENCH_DIR ?? '/var/tmp', 'bench-staging-'));
  const phases: Record<string, number[]> = {
    'store/ref': [],
    'store/ours': [],
    'stage/ref': [],
    'stage/ours': [],
  };
  try {
    for (let run = 0; run < runs; run++) {
      const base = join(top, `run${run}`);
      const cache = await ArtifactCache.open(join(base, 'cache'));
      const refs: string[] = [];
      const tars: string[] = [];
      for (let c = 0; c < chunks; c++) {
        makeChunk(join(base, 'src', `t${c}`), c, run);
        makeChunk(join(base, 'src', `o${c}`), c, run);
      }
      sh('sync');
      let start = performance.now();
      for (let c = 0; c < chunks; c++) {
        const tar = join(base, `chunk${c}.tar`);
        sh('tar', '-C', join(base, 'src', `t${c}`), '-cf', tar, '.');
        tars.push(tar);
      }
      phases['store/ref']?.push(performance.now() - start);
      start = performance.now();
      for (let c = 0; c < chunks; c++) {
        const ref = cache.ref(`k${run}`, 'chunk', `c${c}`);
        await cache.commitTree(join(base, 'src', `o${c}`), ref, { subject: ref, consume: true });
        refs.push(ref);
      }
      phases['store/ours']?.push(performance.now() - start);

      sh('sync');
      const refStage = join(base, 'stage-ref');
      mkdirSync(refStage);
      start = performance.now();
      for (const tar of tars) sh('tar', '-C', refStage, '-xf', tar);
      phases['stage/ref']?.push(performance.now() - start);
      const ourStage = join(base, 'stage-ours');
      mkdirSync(ourStage);
      start = performance.now();
      await cache.checkoutMany(refs, ourStage, { union: true, hardlink: true });
      phases['stage/ours']?.push(performance.now() - start);
      rmSync(base, { recursive: true, force: true });
    }
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
  const ms = (name: string): number => median(phases[name] ?? []);
  process.stdout.write(`${chunks} chunks x ${filesPerChunk} files x ${kib} KiB, median of ${runs} runs\n`);
  for (const phase of ['store', 'stage']) {
    const ref = ms(`${phase}/ref`);
    const ours = ms(`${phase}/ours`);
    process.stdout.write(
      `${phase.padEnd(6)} reference ${ref.toFixed(0).padStart(7)} ms   ours ${ours.toFixed(0).padStart(7)} ms   ratio ${(ours / ref).toFixed(2)}\n`,
    );
  }
}

await main();
