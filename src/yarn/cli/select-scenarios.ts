/**
 * Which scenarios a run takes: the reference's `-r NAME` (in option order),
 * then `--name REGEX` (any of them matches), then a rerun file's
 * `FILE:LINE` entries, then `--shard I/N`. Works on bound and dropped
 * (`--allow-missing-steps`) scenarios alike, so both are reported.
 */
import { readFileSync } from 'node:fs';
import { YarnError } from '../errors.js';
import type { Scenario } from '../model.js';

/** Anything that carries a scenario. */
export interface HasScenario {
  readonly scenario: Scenario;
}

function usage(message: string): YarnError {
  return new YarnError('USAGE', message, { hint: 'see yarn-run --help' });
}

function normalise(name: string): string {
  return name.toLowerCase().split(/\s+/).filter(Boolean).join(' ');
}

/**
 * The reference's `-r` selection: in the order of the options, first match each, case/space-insensitive.
 * @throws YarnError NO_SUCH_SCENARIO
 */
export function selectByRun<T extends HasScenario>(all: readonly T[], names: readonly string[]): T[] {
  if (names.length === 0) return [...all];
  const out: T[] = [];
  for (const name of names) {
    const found = all.find((s) => normalise(s.scenario.name) === normalise(name) && !out.includes(s));
    if (!found) throw new YarnError('NO_SUCH_SCENARIO', `Requested scenario ${name} does not exist`);
    out.push(found);
  }
  return out;
}

/**
 * `--name REGEX` (repeatable): the scenarios whose name any of the patterns matches (JavaScript syntax).
 * @throws YarnError USAGE for a pattern that does not compile
 */
export function selectByName<T extends HasScenario>(all: readonly T[], patterns: readonly string[]): T[] {
  if (patterns.length === 0) return [...all];
  const regexes = patterns.map((p) => {
    try {
      return new RegExp(p);
    } catch (err) {
      throw usage(`--name ${p}: ${(err as Error).message}`);
    }
  });
  return all.filter((s) => regexes.some((r) => r.test(s.scenario.name)));
}

/** `--shard I/N`: the scenarios whose position modulo N is I-1. @throws YarnError USAGE */
export function selectShard<T>(all: readonly T[], shard: string | undefined): T[] {
  if (shard === undefined) return [...all];
  const m = /^(\d+)\/(\d+)$/.exec(shard);
  const i = m ? Number(m[1]) : 0;
  const n = m ? Number(m[2]) : 0;
  if (!m || n < 1 || i < 1 || i > n) throw usage(`--shard needs I/N with 1 <= I <= N, not "${shard}"`);
  return all.filter((_, k) => k % n === i - 1);
}

/** The entries of a rerun file: scenario files and the SCENARIO lines to run in each. */
export interface RerunEntries {
  readonly files: string[];
  /** `file:line` of every scenario to run. */
  readonly locations: Set<string>;
}

/**
 * Reads a rerun file (cucumber's format: `FILE:LINE[:LINE...]` per line, as
 * `--rerun-file` writes it).
 * @throws YarnError FILE_READ when it cannot be read, USAGE for a malformed line
 */
export function readRerunFile(path: string): RerunEntries {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new YarnError('FILE_READ', `cannot read rerun file ${path}: ${(err as Error).message}`, {
      location: path,
      cause: err,
    });
  }
  const files: string[] = [];
  const locations = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = /^(.+?)((?::\d+)+)$/.exec(line);
    if (!m) {
      throw new YarnError('USAGE', `rerun file line "${line}" is not FILE:LINE`, {
        location: `${path}:${i + 1}`,
        hint: 'write it with --rerun-file',
      });
    }
    if (!files.includes(m[1]!)) files.push(m[1]!);
    for (const n of m[2]!.slice(1).split(':')) locations.add(`${m[1]}:${n}`);
  });
  return { files, locations };
}

/** The scenarios a rerun file names. */
export function selectRerun<T extends HasScenario>(all: readonly T[], rerun: RerunEntries | undefined): T[] {
  if (!rerun) return [...all];
  return all.filter((s) => rerun.locations.has(`${s.scenario.location.file}:${s.scenario.location.line}`));
}

/** A rerun file's text for `failed` scenarios: one `FILE:LINE[:LINE...]` line per file. */
export function rerunFileText(failed: readonly Scenario[]): string {
  const byFile = new Map<string, number[]>();
  for (const s of failed) {
    const lines = byFile.get(s.location.file) ?? [];
    lines.push(s.location.line);
    byFile.set(s.location.file, lines);
  }
  return [...byFile].map(([file, lines]) => `${file}:${lines.join(':')}\n`).join('');
}
