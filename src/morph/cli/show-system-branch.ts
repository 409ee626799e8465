import type { App } from '../app.js';
import { findSystemBranch, findWorkspace } from '../workspace/index.js';
import { expectArguments } from './arguments.js';

export const usage = '';
export const help = 'Print the name of the current system branch.';

/** `morph show-system-branch` (docs/spec/morph.md 3.12). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('show-system-branch', args, 0, 0, 'no arguments');
  findWorkspace(app.cwd);
  const branch = await findSystemBranch(app.cwd);
  app.out(`${branch.name}\n`);
}
