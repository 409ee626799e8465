import { execFile } from 'node:child_process';
import { MorphError } from '../errors.js';

/**
 * Runs a querying git command (no echo, no status line) and returns its raw
 * stdout, or undefined when git exits non-zero (unknown ref, missing file).
 * @throws MorphError sources/git-failed when git cannot be started
 */
export function gitOutput(cwd: string, args: readonly string[]): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 }, (err, stdout) => {
      if (!err) resolve(stdout);
      else if (typeof (err as { code?: unknown }).code === 'number') resolve(undefined);
      else
        reject(new MorphError('sources', 'git-failed', `cannot run git ${args.join(' ')}`, { cause: err }));
    });
  });
}

/** `gitOutput` as trimmed text. */
export async function gitText(cwd: string, args: readonly string[]): Promise<string | undefined> {
  const out = await gitOutput(cwd, args);
  return out?.toString().trim();
}
