import type { App } from '../app.js';
import { findSystemBranch, findWorkspace } from '../workspace/index.js';
import { expectArguments } from './arguments.js';

export const usage = '';
export const help = "Print the path of the current system branch's root repository checkout.";

/** `morph show-branch-root` (docs/spec/morph.md 3.12). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('show-branch-root', args, 0, 0, 'no arguments');
  findWorkspace(app.cwd);
  const branch = await findSystemBranch(app.cwd);
  app.out(`${await branch.rootCheckoutDir()}\n`);
}
