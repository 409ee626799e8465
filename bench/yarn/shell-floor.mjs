#!/usr/bin/env node
// The floor of a shell step on this machine, against the reference.
//
//   npm run build && node bench/yarn/shell-floor.mjs [--runs 7] [--scenarios 400] [--steps 2]
//
// yarn-run must run each step in a process of its own (the reference starts
// `sh -xeu SCRIPT` per step; yarn-run forks a subshell of the lane's shell),
// so no engine that keeps the reference's isolation can be faster than one
// fork per step. This times, interleaved (ABBA) with the reference's run of
// the kit's sSxN case:
//   floor    dash running S×N bare subshells `(true)`, nothing else;
//   replay   dash running the very commands yarn-run sends its lane shell for
//            sSxN (environment, redirections, sourced script, statuses),
//            without the engine;
//   yarn-run the whole run.
// and prints each as a ratio to the reference's wall and CPU time. A ratio
// target under the floor's ratio cannot be met on this machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { engine, kit, option, reference } from './bench-setup.mjs';

const runs = Number.parseInt(option('runs', '7'), 10);
const scenarios = Number.parseInt(option('scenarios', '400'), 10);
const steps = Number.parseInt(option('steps', '2'), 10);
const name = `s${scenarios}x${steps}`;

const scratch = mkdtempSync(join(tmpdir(), 'yarn-shell-floor-'));
const movedRuns = [];
try {
  const cases = join(scratch, 'cases');
  mkdirSync(cases);
  writeFileSync(join(cases, 'package.json'), '{ "private": true }\n');
  const gen = spawnSync(
    process.execPath,
    [
      join(kit, 'gen.mjs'),
      '--out',
      cases,
      '--name',
      name,
      '--scenarios',
      String(scenarios),
      '--steps',
      String(steps),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (gen.status !== 0) throw new Error('gen.mjs failed');

  // The floor: one bare subshell per step.
  const floor = join(scratch, 'floor.sh');
  writeFileSync(floor, '(true)\n'.repeat(scenarios * steps));

  // The replay: what yarn-run writes to its lane shell (commands to its stdin, step scripts to
  // the lane directory), captured with strace from one run and moved under this scratch dir.
  const trace = join(scratch, 'trace');
  const st = spawnSync(
    'strace',
    [
      '-f',
      '-y',
      '-e',
      'trace=write',
      '-e',
      'signal=none',
      '-s',
      '100000',
      '-xx',
      '-o',
      trace,
      'node',
      engine,
      '-q',
      `${name}.md`,
      `${name}.impl.md`,
    ],
    { cwd: cases, stdio: 'ignore' },
  );
  let replay;
  if (st.status === 0 && existsSync(trace)) {
    const commands = [];
    const scripts = new Map();
    let runRoot;
    for (const line of readFileSync(trace, 'utf8').split('\n')) {
      const m = line.match(/write\(\d+<((?:\\x[0-9a-f]{2})*)>, "((?:\\x[0-9a-f]{2})*)"/);
      if (!m) continue;
      const [fd, text] = [m[1], m[2]].map((hex) => Buffer.from(hex.replace(/\\x/g, ''), 'hex').toString());
      // The engine's end of the lane shell's stdin (libuv makes it a socket pair).
      const toShell = /^(pipe|socket):/.test(fd);
      // A series (the lane's exports first when they change), or the start; not the shell's statuses.
      if (toShell && /^(\(\n|export |unset |echo ready)/.test(text)) commands.push(text);
      const lane = fd.match(/^(.*\/yarn-run-[^/]+)\/lane-0\/[^/]+\.sh$/);
      if (lane) {
        runRoot = lane[1];
        scripts.set(fd, text);
      }
    }
    if (runRoot && commands.length > 0) {
      // Beside yarn-run's own run directory (tmpfs when it is there), as its files are.
      const moved = mkdtempSync(join(dirname(runRoot), 'yarn-shell-floor-'));
      movedRuns.push(moved);
      mkdirSync(join(moved, 'lane-0'), { recursive: true });
      for (const [path, text] of scripts) writeFileSync(moved + path.slice(runRoot.length), text);
      replay = join(scratch, 'replay.sh');
      writeFileSync(replay, commands.join('').split(runRoot).join(moved));
    }
  }

  const timeFile = join(scratch, 'time');
  const once = (argv, cwd) => {
    const t0 = process.hrtime.bigint();
    spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, ...argv], { cwd, stdio: 'ignore' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const [u, s] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    return { wall, cpu: u + s };
  };
  const subjects = {
    reference: () => once([reference, '-q', `${name}.md`, `${name}.impl.md`], cases),
    floor: () => once(['dash', floor], cases),
    ...(replay ? { replay: () => once(['sh', '-c', `dash -s < '${replay}' > /dev/null`], cases) } : {}),
    'yarn-run': () => once(['node', engine, '-q', `${name}.md`, `${name}.impl.md`], cases),
  };
  const keys = Object.keys(subjects);
  const times = Object.fromEntries(keys.map((k) => [k, []]));
  const load = loadavg()[0];
  for (let r = 0; r < runs; r++) {
    for (const k of r % 2 === 0 ? keys : [...keys].reverse()) times[k].push(subjects[k]());
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ref = {
    wall: median(times.reference.map((t) => t.wall)),
    cpu: median(times.reference.map((t) => t.cpu)),
  };
  console.log(
    `${name}, ${runs} interleaved runs, load average ${load.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`,
  );
  console.log('| subject | median wall s | wall / reference | median CPU s | CPU / reference |');
  console.log('|---|---:|---:|---:|---:|');
  for (const k of keys) {
    const wall = median(times[k].map((t) => t.wall));
    const cpu = median(times[k].map((t) => t.cpu));
    console.log(
      `| ${k} | ${wall.toFixed(3)} | ${(wall / ref.wall).toFixed(2)} | ${cpu.toFixed(3)} | ${(cpu / ref.cpu).toFixed(2)} |`,
    );
  }
} finally {
  for (const dir of [scratch, ...movedRuns]) rmSync(dir, { recursive: true, force: true });
}
