import type { App } from '../app.js';
import { expectArguments } from './arguments.js';
import { gitFat } from './git-fat.js';
import { gitRepoTop } from './git-repo-top.js';

export const usage = 'FILE...';
export const help = 'Mark binary files as kept by git-fat and stage them (needs git-fat on PATH).';

/**
 * `morph add-binary FILE...` (docs/spec/morph.md 1.7.10): `git fat init` first (so a
 * host without git-fat fails before anything changes), then the files are
 * added to `.gitattributes` with `filter=fat -crlf` and staged.
 * @throws MorphError cli/git-fat-missing, cli/git-fat-failed
 */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('add-binary', args, 1, Number.POSITIVE_INFINITY, 'at least one file');
  const top = gitRepoTop(app.cwd);
  await gitFat(app, top, ['init']);
  const { addBinaryFiles } = await import('./git-fat-attributes.js');
  await addBinaryFiles(app, top, args);
}
