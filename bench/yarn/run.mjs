#!/usr/bin/env node
// yarn-run vs cmdtest yarn: the performance targets of spec yarn.md section 3.
//
//   npm run build && node bench/yarn/run.mjs [--runs 7] [--only shell,j2,ts,ts-cold,list]
//                                            [--cases s1x2,s100x20] [--json bench/results/yarn.json]
//
// Generates the standard cases with the shared kit's gen.mjs into bench/cases/
// (gitignored) and times the reference (`yarn -q`) against yarn-run the way the
// kit's abtest.mjs does: interleaved ABBA runs after one warm-up each, wall time
// and CPU time (user+sys of the whole process tree, via /usr/bin/time), medians.
// (abtest.mjs itself only reads cases beside itself in the read-only kit and
// always appends NAME.impl.md, so the TS variant could not use it.)
//
// Variants (B = yarn-run; A = `yarn -q NAME.md NAME.impl.md` in every one):
//   shell    B = yarn-run -q -j1 NAME.md NAME.impl.md          (serial, like the reference)
//   j2       B = yarn-run -q -j2 NAME.md NAME.impl.md
//   ts       B = yarn-run -q -j1 --steps noop-steps.ts NAME.md (warm transpile cache)
//   ts-cold  as ts, with the transpile cache removed before every B run
//   list     B = yarn-run --list --format json NAME.md NAME.impl.md (absolute target, s)
// Both engines run in bench/cases (its own empty package.json, so yarn-run loads no
// step modules of its own and runs serially) with the caller's environment; TMPDIR is left as is
// (unset: the reference uses /tmp, yarn-run uses /dev/shm).
// A target is met when both the median-wall ratio and the CPU ratio are at or under it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { engine, kit, option, reference, root } from './bench-setup.mjs';

const casesDir = join(root, 'bench', 'cases');
const stepsTs = join(root, 'bench', 'yarn', 'noop-steps.ts');

const runs = Number.parseInt(option('runs', '7'), 10);
const only = option('only', 'shell,j2,ts,ts-cold,list').split(',');
const caseFilter = option('cases');
const jsonOut = option('json');

// name scenarios steps impl pool fail-every (the kit's bench.sh list)
const CASES = {
  s1x2: [1, 2, 'true', 1, 0],
  s1x400: [1, 400, 'true', 1, 0],
  s400x2: [400, 2, 'true', 1, 0],
  s20x10: [20, 10, 'true', 1, 0],
  s100x20: [100, 20, 'true', 1, 0],
  t100x20: [100, 20, 'test', 1, 0],
  p20x10: [20, 10, 'true', 50, 0],
  f20x10: [20, 10, 'true', 1, 2],
};

// Targets: ratio of yarn-run to the reference (spec yarn.md section 3).
const VARIANTS = [
  {
    id: 'shell',
    what: 'shell IMPLEMENTS, -j1',
    cases: {
      s1x2: 1.2,
      s20x10: null,
      s100x20: 0.5,
      s1x400: 0.5,
      s400x2: 0.4,
      t100x20: null,
      p20x10: 0.5,
      f20x10: 0.6,
    },
    b: (name) => ['node', engine, '-q', '-j1', `${name}.md`, `${name}.impl.md`],
  },
  {
    id: 'j2',
    what: 'shell IMPLEMENTS, -j2',
    cases: { s100x20: 0.3, s400x2: null },
    b: (name) => ['node', engine, '-q', '-j2', `${name}.md`, `${name}.impl.md`],
  },
  {
    id: 'ts',
    what: 'no-op TS steps (warm transpile cache), -j1',
    cases: { s1x2: 1.3, s100x20: 0.1, s400x2: null },
    b: (name) => ['node', engine, '-q', '-j1', '--steps', stepsTs, `${name}.md`],
  },
  {
    id: 'ts-cold',
    what: 'no-op TS steps, transpile cache removed before each run',
    cases: { s1x2: 2.0 },
    b: (name) => ['node', engine, '-q', '-j1', '--steps', stepsTs, `${name}.md`],
    before: () => {
      rmSync(join(root, 'node_modules', '.cache', 'yarn-run'), { recursive: true, force: true });
      rmSync(join(root, 'bench', 'yarn', '.yarn-run-cache'), { recursive: true, force: true });
    },
  },
  {
    id: 'list',
    what: '--list --format json (absolute target 0.15 s)',
    cases: { s100x20: null },
    absolute: 0.15,
    b: (name) => ['node', engine, '--list', '--format', 'json', `${name}.md`, `${name}.impl.md`],
  },
];

function generate() {
  mkdirSync(casesDir, { recursive: true });
  // yarn-run reads "yarn-run" config from the nearest package.json upward: this one stops the
  // search before the repository's (whose step modules and "jobs" would be picked up).
  writeFileSync(join(casesDir, 'package.json'), '{ "private": true }\n');
  for (const [name, [sc, st, impl, pool, fail]] of Object.entries(CASES)) {
    if (existsSync(join(casesDir, `${name}.json`))) continue;
    const r = spawnSync(
      process.execPath,
      [
        join(kit, 'gen.mjs'),
        ...['--out', casesDir, '--name', name, '--scenarios', String(sc), '--steps', String(st)],
        ...['--impl', impl, '--pool', String(pool), '--fail-every', String(fail)],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`gen.mjs failed for ${name}`);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'yarn-bench-'));
const timeFile = join(scratch, 'time.txt');

/** One timed run of argv in bench/cases: wall seconds, CPU seconds, exit status. */
function once(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, ...argv], {
    cwd: casesDir,
    stdio: 'ignore',
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const [u, s] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { wall, cpu: u + s, status: r.status };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function measure(variant, name) {
  const a = [reference, '-q', `${name}.md`, `${name}.impl.md`];
  const b = variant.b(name);
  const runB = () => {
    variant.before?.();
    return once(b);
  };
  const ra = [];
  const rb = [];
  if (variant.absolute === undefined) once(a);
  runB();
  for (let i = 0; i < runs; i++) {
    if (variant.absolute !== undefined) {
      rb.push(runB());
      continue;
    }
    if (i % 2 === 0) {
      ra.push(once(a));
      rb.push(runB());
    } else {
      rb.push(runB());
      ra.push(once(a));
    }
  }
  const row = {
    variant: variant.id,
    case: name,
    bWall: median(rb.map((x) => x.wall)),
    bCpu: median(rb.map((x) => x.cpu)),
    bExit: rb[0].status,
    // Every run must end like the first (an engine rebuilt mid-run would show here).
    bExitsVary: rb.some((x) => x.status !== rb[0].status),
  };
  if (ra.length > 0) {
    Object.assign(row, {
      aWall: median(ra.map((x) => x.wall)),
      aCpu: median(ra.map((x) => x.cpu)),
      aExit: ra[0].status,
    });
    row.wallRatio = row.bWall / row.aWall;
    row.cpuRatio = row.bCpu / row.aCpu;
  }
  return row;
}

function verdict(row, target, absolute) {
  if (absolute !== undefined) return row.bWall <= absolute ? 'met' : 'MISSED';
  if (target === null || target === undefined) return '(no target)';
  if (row.aExit !== row.bExit || row.bExitsVary) return 'EXIT DIFFERS';
  return row.wallRatio <= target && row.cpuRatio <= target ? 'met' : 'MISSED';
}

if (!existsSync(engine)) {
  console.error(`ERROR: ${engine} is missing: build first (npx tsc -p tsconfig.json)`);
  process.exit(1);
}
if (!existsSync(reference)) {
  console.error(`ERROR: the reference ${reference} is missing (apt-get install cmdtest)`);
  process.exit(1);
}
generate();
const f = (x) => (x === undefined ? '' : x.toFixed(3));
const q = (x) => (x === undefined ? '' : x.toFixed(2));
console.log(
  `# yarn-run vs cmdtest yarn, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, ${runs} runs each (ABBA), medians\n`,
);
console.log(
  '| variant | case | yarn wall s | yarn-run wall s | wall ratio | yarn CPU s | yarn-run CPU s | CPU ratio | target | verdict | exit A/B |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|');
const rows = [];
for (const variant of VARIANTS) {
  if (!only.includes(variant.id)) continue;
  for (const [name, target] of Object.entries(variant.cases)) {
    if (caseFilter && !caseFilter.split(',').includes(name)) continue;
    const row = measure(variant, name);
    row.target = variant.absolute !== undefined ? `≤ ${variant.absolute} s` : target;
    row.verdict = verdict(row, target, variant.absolute);
    rows.push(row);
    const targetText =
      variant.absolute !== undefined ? `≤ ${variant.absolute} s` : target === null ? '' : `≤ ${target}`;
    console.log(
      `| ${variant.id} | ${name} | ${f(row.aWall)} | ${f(row.bWall)} | ${q(row.wallRatio)} | ${f(row.aCpu)} | ${f(row.bCpu)} | ${q(row.cpuRatio)} | ${targetText} | ${row.verdict} | ${row.aExit ?? '-'}/${row.bExit} |`,
    );
  }
}
if (jsonOut) {
  mkdirSync(dirname(resolve(jsonOut)), { recursive: true });
  writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), runs, rows }, null, 2)}\n`);
}
rmSync(scratch, { recursive: true, force: true });
