import { readdir } from 'node:fs/promises';
import { ifPresent } from '../../shared/if-present.js';
import type { App } from '../app.js';
import { BUILTIN_EXTENSIONS_DIR } from '../deploy/extension-runner.js';
import { MorphError } from '../errors.js';
import { findSystemBranch } from '../workspace/system-branch.js';

export const usage = '';
export const help =
  'List the configure and write extensions: the built-in ones and those of the system branch.';

/**
 * `morph help-extensions` (docs/spec/morph.md 1.7.7): `Extensions:`, then the
 * `.configure` names and the `.write` names, each group sorted, four spaces
 * in: the built-ins plus, inside a system branch, the top-level ones of its
 * root checkout. Arguments are ignored.
 */
export async function run(app: App, _args: string[]): Promise<void> {
  const names = new Set(await extensionFiles(BUILTIN_EXTENSIONS_DIR));
  // Outside a system branch (or without its root checkout) only the built-in ones are listed.
  const branch = await findSystemBranch(app.cwd).catch(unlessWorkspaceError);
  if (branch) {
    const rootDir = await branch.rootCheckoutDir().catch(unlessWorkspaceError);
    if (rootDir) for (const name of await extensionFiles(rootDir)) names.add(name);
  }
  const group = (suffix: string): string[] => [...names].filter((n) => n.endsWith(suffix)).sort();
  const lines = ['Extensions:', ...[...group('.configure'), ...group('.write')].map((n) => `    ${n}`)];
  app.out(`${lines.join('\n')}\n`);
}

async function extensionFiles(dir: string): Promise<string[]> {
  const entries = (await ifPresent(() => readdir(dir, { withFileTypes: true }))) ?? [];
  return entries
    .filter((e) => !e.isDirectory() && (e.name.endsWith('.configure') || e.name.endsWith('.write')))
    .map((e) => e.name);
}

/** Undefined for a `workspace` MorphError (no system branch, no checkout); anything else is thrown. */
function unlessWorkspaceError(err: unknown): undefined {
  if (err instanceof MorphError && err.domain === 'workspace') return undefined;
  throw err;
}
