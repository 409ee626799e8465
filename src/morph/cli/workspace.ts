import type { App } from '../app.js';
import { findWorkspace } from '../workspace/index.js';
import { expectArguments } from './arguments.js';

export const usage = '';
export const help = 'Print the root directory of the current workspace.';

/** `morph workspace` (docs/spec/morph.md 3.5): the root path, nothing else. */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('workspace', args, 0, 0, 'no arguments');
  app.out(`${findWorkspace(app.cwd).root}\n`);
}
