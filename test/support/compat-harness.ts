/**
 * The differential harness behind `compat.test.ts`: runs one corpus case
 * (`src/yarn/testdata/compat/cases.json`) through an engine — the reference
 * cmdtest `yarn` or yarn-run — and reduces its output to what both engines
 * must agree on: exit status, the scenarios run (in order), the scenarios
 * failed, the failing step and exit code of each failure report, the number
 * skipped and the first `ERROR:` line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the reference engine is installed (Debian's cmdtest); `YARN_COMPAT_REFERENCE` overrides it. */
export const REFERENCE_YARN = process.env.YARN_COMPAT_REFERENCE ?? '/usr/bin/yarn';

/** Set in the environment of both engines: steps check that it does not leak into theirs. */
export const LEAK_VARIABLE = 'YARN_COMPAT_LEAK';

/** What both engines must agree on for one case. */
export interface Outcome {
  exit: number;
  /** Scenario names in `Running scenario NAME` order. */
  run: string[];
  /** Names listed under `Failed scenarios:`. */
  failed: string[];
  /** Failure reports as `scenario | step | exit code`, from `ERROR: In scenario ...` blocks. */
  reports?: string[];
  /** Scenarios skipped by a failing ASSUMING (only recorded when the run passed). */
  skipped?: number;
  /** The first `ERROR:` line when nothing ran (validation errors), without yarn-run's ` (at file:line)`. */
  error?: string;
}

/** One corpus case: files and arguments, relative to the corpus directory. */
export interface CompatCase {
  name: string;
  files: string[];
  /** Arguments before the files; `{TMP}` is replaced by the run's private temp directory. */
  args: string[];
  /** The spec items it exercises. */
  covers: string;
  /** The reference's outcome, recorded by `record.mjs`. */
  expect?: Outcome;
  /** A documented, deliberate divergence: the test reports it as TODO instead of failing. */
  knownDivergence?: string;
}

/** The full result of one engine run: the outcome plus the raw output for messages. */
export interface EngineRun {
  outcome: Outcome;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The directory holding package.json, searched upwards from `start` (a file URL or path). */
export function findPackageRoot(start: string): string {
  let dir = start.startsWith('file:') ? dirname(fileURLToPath(start)) : resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

/** The corpus directory of the package at `root`. */
export function corpusDir(root: string): string {
  return join(root, 'src', 'yarn', 'testdata', 'compat');
}

/** Reads `cases.json` of the corpus. */
export function loadCases(dir: string): CompatCase[] {
  const data = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: CompatCase[] };
  return data.cases;
}

const FIRST_ERROR = /^ERROR: (.*)$/m;
const LOCATION_SUFFIX = / \(at [^()]+:\d+(?::\d+)?\)$/;

/** Reduces an engine's verbose output to its `Outcome`. */
export function parseOutcome(exit: number, stdout: string, stderr: string): Outcome {
  const run: string[] = [];
  for (const m of stdout.matchAll(/^Running scenario (.*)$/gm)) run.push(m[1]!);
  const failed: string[] = [];
  const lines = stderr.split('\n');
  const at = lines.lastIndexOf('Failed scenarios:');
  if (at >= 0) {
    for (const line of lines.slice(at + 1)) {
      const m = /^ {4}- (.*)$/.exec(line);
      if (!m) break;
      failed.push(m[1]!);
    }
  }
  const outcome: Outcome = { exit, run, failed };
  const reports: string[] = [];
  for (const m of stderr.matchAll(
    /^ERROR: In scenario "(.*)"\nstep "(.*)" failed,\nwith exit code (-?\d+):$/gm,
  )) {
    reports.push(`${m[1]} | ${m[2]} | ${m[3]}`);
  }
  if (reports.length > 0) outcome.reports = reports;
  if (exit === 0) {
    const yarnSkip = /^Scenarios SKIPPED due to ASSUMING step failing: (\d+)$/m.exec(stdout);
    const summary = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(stdout);
    // yarn-run's last line also counts scenarios that never ran (listed under "Scenarios not run:");
    // the reference's skips are only those of a failing ASSUMING.
    const notRunAt = lines.indexOf('Scenarios not run:');
    const notRun = notRunAt < 0 ? 0 : lines.slice(notRunAt + 1).findIndex((l) => !l.startsWith('    - '));
    outcome.skipped = yarnSkip ? Number(yarnSkip[1]) : summary ? Number(summary[3]) - notRun : 0;
  }
  if (run.length === 0 && exit !== 0) {
    const m = FIRST_ERROR.exec(stderr);
    if (m && !stderr.includes('Traceback (most recent call last)')) {
      outcome.error = m[1]!.replace(LOCATION_SUFFIX, '');
    }
  }
  return outcome;
}

/**
 * Runs `command` (argv[0] + args) with `-v`, the case's arguments and files,
 * in the corpus directory, with a private TMPDIR (removed afterwards; `{TMP}`
 * in an argument stands for it) and `LEAK_VARIABLE` set. Never rejects on a
 * non-zero exit.
 */
export async function runCase(
  command: readonly string[],
  dir: string,
  c: CompatCase,
  timeoutMs = 60_000,
): Promise<EngineRun> {
  const tmp = mkdtempSync(join(tmpdir(), 'yarn-compat-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, [LEAK_VARIABLE]: 'leaked' };
    delete env.NODE_TEST_CONTEXT;
    const args = c.args.map((a) => a.replaceAll('{TMP}', tmp));
    const argv = [...command.slice(1), '-v', ...args, ...c.files];
    const child = spawn(command[0]!, argv, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const exit = await new Promise<number>((done, fail) => {
      child.on('error', fail);
      child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
    });
    clearTimeout(timer);
    return { outcome: parseOutcome(exit, stdout, stderr), stdout, stderr, timedOut };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Human-readable differences between an expected and an actual outcome (empty when they agree). */
export function diffOutcomes(expected: Outcome, actual: Outcome): string[] {
  const diffs: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  if (expected.exit !== actual.exit) diffs.push(`exit status: expected ${expected.exit}, got ${actual.exit}`);
  if (show(expected.run) !== show(actual.run))
    diffs.push(`scenarios run: expected ${show(expected.run)}, got ${show(actual.run)}`);
  if (show([...expected.failed].sort()) !== show([...actual.failed].sort()))
    diffs.push(`scenarios failed: expected ${show(expected.failed)}, got ${show(actual.failed)}`);
  if (show(expected.reports ?? []) !== show(actual.reports ?? []))
    diffs.push(
      `failure reports: expected ${show(expected.reports ?? [])}, got ${show(actual.reports ?? [])}`,
    );
  if (expected.skipped !== undefined && expected.skipped !== actual.skipped)
    diffs.push(`scenarios skipped: expected ${expected.skipped}, got ${show(actual.skipped)}`);
  if (expected.error !== undefined && expected.error !== actual.error)
    diffs.push(`first ERROR line: expected ${show(expected.error)}, got ${show(actual.error)}`);
  return diffs;
}
