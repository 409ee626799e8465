import type { CommandOptions, CommandResult } from '../../../shared/exec.js';
import type { Settings } from '../../settings/setting-table.js';
import type { GitCache } from '../../sources/git-cache.js';
import type { RepoAliasResolver } from '../../sources/repo-alias.js';
import type { StatusReporter } from '../../status/status-reporter.js';

/**
 * What the build pipeline needs of the application context (`App` from
 * app.ts satisfies it structurally); tests can provide a smaller one.
 */
export interface BuildApp {
  readonly settings: Settings;
  readonly status: StatusReporter;
  readonly gitCache: GitCache;
  readonly aliases: RepoAliasResolver;
  /** Aborted on Ctrl-C / SIGTERM: no new build starts and running commands are killed. */
  readonly signal?: AbortSignal;
  /** Writes primary output to stdout (build logs under `build-log-on-stdout`). */
  out?(text: string): void;
  /** Runs a command that changes things (echoed as `# cmd` when verbose). */
  runApp(argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
}
