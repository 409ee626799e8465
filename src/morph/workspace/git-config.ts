import { runCommand } from '../../shared/exec.js';
import { MorphError } from '../errors.js';
import { gitOutput, gitText } from '../sources/git-output.js';

/** Reads one git config value of the repo at `dir` (undefined when unset). Never echoed. */
export function getGitConfig(dir: string, key: string): Promise<string | undefined> {
  return gitText(dir, ['config', '--get', key]);
}

/**
 * Reads several git config values of the repo at `dir` with one git
 * process: `key → value` (the last one, as `getGitConfig` gives it) for
 * each of `keys` that is set. Keys are matched as git lower-cases them
 * (section and variable names), so pass them lower-case.
 */
export async function getGitConfigs(dir: string, keys: readonly string[]): Promise<Map<string, string>> {
  const escaped = keys.map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const out = await gitOutput(dir, ['config', '-z', '--get-regexp', `^(${escaped.join('|')})$`]);
  const values = new Map<string, string>();
  for (const item of (out?.toString() ?? '').split('\0')) {
    if (item === '') continue;
    const newline = item.indexOf('\n');
    if (newline === -1) values.set(item, 'true');
    else values.set(item.slice(0, newline), item.slice(newline + 1));
  }
  return values;
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
