import {
  CommandError,
  type CommandOptions,
  type CommandResult,
  quoteArg,
  runPipeline,
} from '../shared/exec.js';
import { checkFreeSpace } from './settings/check-free-space.js';
import type { Settings } from './settings/setting-table.js';
import { GitCache } from './sources/git-cache.js';
import { RepoAliasResolver } from './sources/repo-alias.js';
import type { DebugLog } from './status/debug-log.js';
import { createStatusReporter, type StatusReporter } from './status/status-reporter.js';

/** Options of `App.runApp`: those of `runCommand`, `env` being the whole environment. */
export type RunAppOptions = CommandOptions;

/**
 * The per-invocation context every subcommand receives (docs/architecture.md).
 */
export interface App {
  readonly settings: Settings;
  /** Status lines on stdout (docs/spec/morph.md 1.4). */
  readonly status: StatusReporter;
  /** The `--log` debug log. */
  readonly log: DebugLog;
  readonly aliases: RepoAliasResolver;
  readonly gitCache: GitCache;
  /** The directory morph was started in (physical path). */
  readonly cwd: string;
  /** Aborted on Ctrl-C / SIGTERM: long operations should stop and clean up. */
  readonly signal: AbortSignal;
  /** Writes primary output (query results) to stdout. */
  out(text: string): void;
  /** Writes to stderr (live stderr of deployment extensions). */
  err(text: string): void;
  /**
   * Runs an external command, or a pipeline when given several argvs,
   * echoing it as a chatty `# cmd args | next-cmd` status line and any
   * environment change as chatty `# KEY=VALUE` lines; output goes to the log.
   * @throws CommandError (COMMAND_FAILED) on a non-zero exit unless `allowFailure`
   */
  runApp(
    argv: readonly string[] | readonly (readonly string[])[],
    options?: RunAppOptions,
  ): Promise<CommandResult>;
  /**
   * Checks tempdir and cachedir have `tempdir-min-space` / `cachedir-min-space`
   * bytes free (summed when on one filesystem; docs/spec/morph.md 5.1).
   * @throws MorphError config/insufficient-space
   */
  checkFreeSpace(): Promise<void>;
}

/** Where an App's output goes (the CLI passes process streams; tests pass buffers). */
export interface AppIo {
  stdout(text: string): void;
  stderr(text: string): void;
  log: DebugLog;
  now?(): Date;
}

/**
 * Creates the App of one invocation from processed settings.
 * @throws MorphError config/invalid-repo-alias, config/invalid-trove-id
 */
export function createApp(
  settings: Settings,
  io: AppIo,
  context: { cwd: string; signal: AbortSignal; env?: NodeJS.ProcessEnv },
): App {
  const status = createStatusReporter({
    verbose: settings.verbose,
    quiet: settings.quiet,
    write: io.stdout,
    log: io.log.raw,
    now: io.now,
  });
  const aliases = RepoAliasResolver.fromSettings(settings);
  const baseEnv = context.env ?? process.env;

  const runApp: App['runApp'] = async (argv, options = {}) => {
    const pipeline = isPipeline(argv) ? argv : [argv as readonly string[]];
    if (options.env) {
      for (const key of Object.keys(options.env).sort()) {
        if (options.env[key] !== baseEnv[key]) status.chatty(`# ${key}=${options.env[key]}`);
      }
    }
    const display = pipeline.map((cmd) => cmd.map(quoteArg).join(' ')).join(' | ');
    status.chatty(`# ${display}`);
    const withSignal = { signal: context.signal, ...options };
    const result = await runPipeline(pipeline, { ...withSignal, allowFailure: true });
    if (result.stdout) io.log.raw(result.stdout.endsWith('\n') ? result.stdout : `${result.stdout}\n`);
    if (result.stderr) io.log.raw(result.stderr.endsWith('\n') ? result.stderr : `${result.stderr}\n`);
    if (result.exitCode !== 0 && !options.allowFailure) {
      throw new CommandError(pipeline, result);
    }
    return result;
  };

  const app: App = {
    settings,
    status,
    log: io.log,
    aliases,
    gitCache: new GitCache({
      cachedir: settings.cachedir,
      tarballServer: settings['tarball-server'],
      noGitUpdate: settings['no-git-update'],
      aliases,
      status,
      runApp: (argv, options) => runApp(argv, options),
    }),
    cwd: context.cwd,
    signal: context.signal,
    out: io.stdout,
    err: io.stderr,
    runApp,
    checkFreeSpace: () => checkFreeSpace(settings),
  };
  return app;
}

function isPipeline(argv: readonly string[] | readonly (readonly string[])[]): argv is readonly string[][] {
  return argv.length > 0 && Array.isArray(argv[0]);
}
