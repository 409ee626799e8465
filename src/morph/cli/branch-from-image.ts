import { resolve } from 'node:path';
import type { App } from '../app.js';
import { branchFromImage } from '../deploy/branch-from-image.js';
import { expectArguments } from './arguments.js';

export const usage = 'BRANCH [--metadata-dir DIR]';
export const help = 'Create a system branch that reproduces a deployed system from its /baserock metadata.';

/** `morph branch-from-image BRANCH` (docs/spec/morph.md 3.8). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('branch-from-image', args, 1, 1, 'the name of the new system branch');
  const branch = await branchFromImage(app, args[0]!, resolve(app.cwd, app.settings['metadata-dir']));
  app.status.normal(`Created system branch ${branch.name} in ${branch.dir}`);
}
