import type { App } from '../app.js';
import { editChunk } from '../workspace/edit-chunk.js';
import { findSystemBranch, findWorkspace } from '../workspace/index.js';
import { expectArguments } from './arguments.js';

export const usage = 'CHUNK';
export const help = 'Check out the repository of CHUNK and point the definitions at the system branch.';

/** `morph edit CHUNK` (docs/spec/morph.md 3.9). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('edit', args, 1, 1, 'the name of one chunk');
  const chunk = args[0]!;
  findWorkspace(app.cwd);
  const branch = await findSystemBranch(app.cwd);
  const result = await editChunk(app, branch, chunk);
  if (result.edited.length === 0) {
    app.status.normal(
      `Chunk ${chunk} is not in any stratum of system branch ${branch.name}; nothing to edit`,
    );
    return;
  }
  const dirs = [...new Set(result.edited.map((e) => e.checkout))];
  app.status.normal(`Edit ${chunk} in: ${dirs.join(', ')}`);
}
