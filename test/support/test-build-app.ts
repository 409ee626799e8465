import { join } from 'node:path';
import type { BuildApp } from '../../src/morph/build/graph/build-app.js';
import { GitCache } from '../../src/morph/sources/git-cache.js';
import { parseRepoAlias, RepoAliasResolver } from '../../src/morph/sources/repo-alias.js';
import { runCommand } from '../../src/shared/exec.js';

/**
 * For tests: a BuildApp with a silent status, real commands and a git cache
 * under `<top>/cache` that never updates. With `aliasPrefix`, that alias
 * (`tt`) maps `tt:NAME` to `file://<top>/NAME`.
 */
export function testBuildApp(top: string, options: { aliasPrefix?: string } = {}): BuildApp {
  const specs = options.aliasPrefix
    ? [parseRepoAlias(`${options.aliasPrefix}=file://${top}/%s#file://${top}/%s`)]
    : [];
  const aliases = new RepoAliasResolver(specs);
  const status = { normal: () => {}, chatty: () => {}, error: () => {}, withPrefix: () => status };
  const runApp = (argv: readonly string[], runOptions?: object) => runCommand(argv, runOptions);
  const gitCache = new GitCache({
    cachedir: join(top, 'cache'),
    tarballServer: '',
    noGitUpdate: true,
    aliases,
    status,
    runApp,
  });
  return { settings: {}, status, gitCache, aliases, runApp } as unknown as BuildApp;
}

/** For tests: the environment of `git` commands that commit (an identity, nothing from the user's config). */
export const TEST_GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@x',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@x',
};
