/**
 * A minimal `StepContext` over a data directory, for unit tests of step
 * modules without the engine (commands run for real, cleanups collected).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunOptions, RunResult, StepContext, StepImpl, StepKind } from '../src/yarn/api.js';

/** The repository root (from dist/implementations/ or implementations/). */
const srcdir = new URL(
  import.meta.url.includes('/dist/') ? '../../' : '../',
  import.meta.url,
).pathname.replace(/\/$/, '');

/** A fake context; `cleanups` are the functions given to `defer`, in order. */
export function fakeContext(
  datadir: string,
  options: { srcdir?: string } = {},
): StepContext & { cleanups: (() => void | Promise<void>)[] } {
  const home = join(datadir, 'HOME');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LC_ALL: 'C', DATADIR: datadir };
  const cleanups: (() => void | Promise<void>)[] = [];
  const ctx: StepContext & { lastRun: RunResult | undefined; cleanups: typeof cleanups } = {
    cleanups,
    scenario: 'fixture test',
    datadir,
    srcdir: options.srcdir ?? srcdir,
    home,
    env,
    vars: new Map(),
    signal: new AbortController().signal,
    worker: {
      id: 0,
      dir: join(datadir, 'worker'),
      srcdir: options.srcdir ?? srcdir,
      vars: new Map(),
      signal: new AbortController().signal,
      defer: (cleanup) => cleanups.push(cleanup),
    },
    lastRun: undefined,
    path: (...parts) => join(datadir, ...parts),
    run: (argv, options: RunOptions = {}) =>
      new Promise((resolve, reject) => {
        const child = spawn(argv[0] as string, argv.slice(1), {
          cwd: options.cwd ?? datadir,
          env: { ...env, ...options.env },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        child.on('error', reject);
        child.on('close', (code) => {
          ctx.lastRun = { command: argv, exitCode: code ?? 1, stdout, stderr };
          resolve(ctx.lastRun);
        });
        child.stdin.on('error', () => {});
        child.stdin.end(options.input ?? '');
      }),
    sh: (script, options) => ctx.run(['sh', '-c', script], options),
    defer: (cleanup) => {
      cleanups.push(cleanup);
    },
    log: () => {},
    step: () => Promise.reject(new Error('not supported')),
  };
  return ctx;
}

/**
 * Runs the one implementation in `impls` that binds `KIND text` the way yarn
 * binds (keyword, case-insensitive, anchored, ending at the end of the text).
 */
export async function runStepText(ctx: StepContext, impls: readonly StepImpl[], line: string): Promise<void> {
  const [kind, ...words] = line.split(' ');
  const text = words.join(' ');
  const bound = impls.flatMap((impl) => {
    if (!impl.kinds.includes(kind as StepKind)) return [];
    const match = new RegExp(`^(?:${impl.pattern.source})`, 'i').exec(text);
    return match && match[0].length === text.length
      ? [{ impl, captures: match.slice(1).map((c) => c ?? '') }]
      : [];
  });
  if (bound.length !== 1) throw new Error(`${bound.length} implementations bind "${line}"`);
  const [{ impl, captures }] = bound as [{ impl: StepImpl; captures: string[] }];
  await impl.run(ctx, ...captures);
}
