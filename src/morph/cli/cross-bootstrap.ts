import type { App } from '../app.js';
import { crossBootstrap } from '../build/cross-bootstrap.js';
import { expectArguments } from './arguments.js';

export const usage = 'ARCH REPO REF SYSTEM';
export const help = 'Build the bootstrap chunks of a system for ARCH and gather the sources of the rest.';

/** `morph cross-bootstrap ARCH REPO REF SYSTEM` (docs/spec/morph.md 5.15); no workspace needed. */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('cross-bootstrap', args, 4, 4, 'an architecture, a repository, a ref and a system');
  const [arch, repo, ref, file] = args as [string, string, string, string];
  await app.checkFreeSpace();
  const outcome = await crossBootstrap(app, { arch, repo, ref, file });
  app.status.normal(`Cross-bootstrap tree is in cache: ${outcome.repoPath}:${outcome.ref}`);
}
