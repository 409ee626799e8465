import { runCommand } from '../../shared/exec.js';
import { MorphError } from '../errors.js';
import { gitText } from '../sources/git-output.js';

/** Reads one git config value of the repo at `dir` (undefined when unset). Never echoed. */
export function getGitConfig(dir: string, key: string): Promise<string | undefined> {
  return gitText(dir, ['config', '--get', key]);
}

/** Reads every `key → value` of a git-config format file (keys lower-cased by git). */
export async function readGitConfigFile(file: string): Promise<Map<string, string>> {
  const out = await gitText(process.cwd(), ['config', '-f', file, '-z', '--list']);
  const entries = new Map<string, string>();
  for (const item of (out ?? '').split('\0')) {
    const newline = item.indexOf('\n');
    if (item === '') continue;
    if (newline === -1) entries.set(item, 'true');
    else entries.set(item.slice(0, newline), item.slice(newline + 1));
  }
  return entries;
}

/**
 * Sets `key = value` in a git-config format file (created if missing).
 * @throws MorphError workspace/git-config-failed
 */
export async function setGitConfigFile(file: string, key: string, value: string): Promise<void> {
  try {
    await runCommand(['git', 'config', '-f', file, key, value]);
  } catch (err) {
    throw new MorphError('workspace', 'git-config-failed', `cannot set ${key} in ${file}`, { cause: err });
  }
}
