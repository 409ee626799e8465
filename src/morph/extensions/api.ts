/**
 * The extension contract (docs/spec/morph.md 6.3, 7, 8): what morph passes to a
 * deployment extension and what it expects back. Built-in extensions
 * (`builtin/*.ts`) are written against this module only, exactly as a
 * third-party extension would be, and ship as executables in
 * `morphlib/exts/` that users can run by hand.
 *
 * Protocol, for any extension (executable file `<name>.<kind>`):
 *
 * | kind        | argv               | called by morph                                         |
 * |-------------|--------------------|---------------------------------------------------------|
 * | `check`     | `LOCATION`         | before the system is checked out; may be absent         |
 * | `configure` | `TREE`             | for each `configuration-extensions` entry of the system |
 * | `write`     | `TREE LOCATION`    | last; turns the configured tree into the deployment     |
 *
 * - cwd is the root checkout of the definitions repo, so relative locations
 *   land there; the environment is the deployment's (6.2a) plus
 *   `MORPH_LOG_FD`, a file descriptor whose lines go to morph's debug log.
 * - The process runs in a private mount namespace: mounts it makes vanish
 *   with it, but loop devices and files do not, so it must undo them itself.
 * - Each stdout line becomes a morph status line; stderr is echoed live and
 *   quoted in morph's error when the exit code is non-zero.
 * - On failure: `ERROR: <message>` on stderr and exit 1, having removed
 *   anything half-written (a partial image, a mount, a loop device).
 */

import { realpathSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CleanupStack } from '../../shared/cleanup-stack.js';
import { type CommandOptions, type CommandResult, runCommand } from '../../shared/exec.js';
import { statIfPresent } from '../../shared/if-present.js';
import { PathEscapeError, resolveBeneath } from '../../shared/resolve-beneath.js';
import { MorphError, type MorphReason } from '../errors.js';

export {
  type CleanupHandle,
  CleanupStack,
  detachLoopSync,
  removeSync,
  unmountSync,
} from '../../shared/cleanup-stack.js';
export { type AtomicOutputOptions, partialPrefix, writeOutputAtomically } from './atomic-output.js';

/** The three kinds of extension, a closed set. */
export type ExtensionKind = 'check' | 'configure' | 'write';

export const EXTENSION_KINDS: readonly ExtensionKind[] = ['check', 'configure', 'write'];

/** What a running extension gets from its host process. */
export interface ExtensionContext {
  /** The deployment environment (docs/spec/morph.md 6.2a); read parameters from here only. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes one progress line to stdout; morph turns it into a status line. */
  status(message: string): void;
  /** Writes one line to morph's debug log (`MORPH_LOG_FD`), if there is one. */
  log(message: string): void;
  /** Writes `WARNING: <message>` to stderr: the deployment goes on, the user should know. */
  warn(message: string): void;
  /** Undo actions run on every exit path, signals included. */
  readonly cleanup: CleanupStack;
  /** Aborted on SIGINT/SIGTERM: pass it to every child process (see `runTool`). */
  readonly signal: AbortSignal;
}

/**
 * A built-in extension: one hook per kind it implements. Hooks are called by
 * `runExtensionMain` (the executable wrappers in `morphlib/exts/`) or
 * directly by unit tests. A hook throws `ExtensionError` for anything the
 * user must fix and never prints or exits itself.
 */
export interface BuiltinExtension {
  readonly name: string;
  /** Validates the location before anything is deployed (`<name>.check LOCATION`). */
  check?(ctx: ExtensionContext, location: string): Promise<void>;
  /** Edits the system tree in place (`<name>.configure TREE`). */
  configure?(ctx: ExtensionContext, tree: string): Promise<void>;
  /** Produces the deployment at location (`<name>.write TREE LOCATION`). */
  write?(ctx: ExtensionContext, tree: string, location: string): Promise<void>;
}

/** A user-facing extension failure (domain `extension`, e.g. reason `upgrade-unsupported`). */
export class ExtensionError extends MorphError {
  constructor(
    reason: MorphReason<'extension'>,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super('extension', reason, message, options);
  }
}

/**
 * Where `path` (relative to the top of the system tree `tree`, a leading
 * `/` allowed) really is, resolved beneath the tree: an extension writes
 * there, never through a symlink or `..` that leaves the tree. With
 * `followFinal: false` a symlink in the last component is the path itself.
 * @throws ExtensionError `escapes-tree` naming the path.
 */
export function treePath(tree: string, path: string, options: { followFinal?: boolean } = {}): string {
  try {
    return resolveBeneath(tree, path, options);
  } catch (err) {
    if (!(err instanceof PathEscapeError)) throw err;
    throw new ExtensionError(
      'escapes-tree',
      `Refusing to write ${path} outside the system tree: ${err.why}`,
      {
        hint: 'a symbolic link or ".." in the system tree points outside it',
        cause: err,
      },
    );
  }
}

/**
 * Parses a size such as `20M`, `4g`, `512k` or `1048576` (binary multiples).
 * @throws ExtensionError `bad-size` when it is not one.
 */
export function parseSize(value: string, name = 'size'): number {
  const match = /^\s*(\d+)\s*([kKmMgGtT]?)[bB]?\s*$/.exec(value);
  if (!match) throw new ExtensionError('bad-size', `${name} is not a valid size: ${value}`);
  const exponent = ' kmgt'.indexOf((match[2] || ' ').toLowerCase());
  return Number(match[1]) * 1024 ** exponent;
}

/**
 * Reads a boolean variable: `yes`/`true`/`1` or `no`/`false`/`0`
 * (any case); unset or empty is false.
 * @throws ExtensionError `bad-boolean` for anything else.
 */
export function readBoolean(env: ExtensionContext['env'], name: string): boolean {
  const value = (env[name] ?? '').trim().toLowerCase();
  if (value === '' || value === 'no' || value === 'false' || value === '0') return false;
  if (value === 'yes' || value === 'true' || value === '1') return true;
  throw new ExtensionError('bad-boolean', `Unexpected value for ${name}: ${env[name]}`, {
    hint: 'use yes or no',
  });
}

/**
 * Runs a host tool for an extension, killed when the extension is
 * interrupted. @throws ExtensionError `command-failed` naming the command.
 */
export async function runTool(
  ctx: ExtensionContext,
  argv: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  ctx.log(`# ${argv.join(' ')}`);
  try {
    return await runCommand(argv, { signal: ctx.signal, ...options });
  } catch (err) {
    throw new ExtensionError('command-failed', (err as Error).message, { cause: err });
  }
}

/** Makes the context of a process started as an extension executable. */
export function createProcessContext(env: NodeJS.ProcessEnv, controller: AbortController): ExtensionContext {
  const logFd = Number.parseInt(env.MORPH_LOG_FD ?? '', 10);
  return {
    env,
    cleanup: new CleanupStack(),
    signal: controller.signal,
    status(message) {
      process.stdout.write(`${message}\n`);
    },
    warn(message) {
      process.stderr.write(`WARNING: ${message}\n`);
    },
    log(message) {
      if (!Number.isInteger(logFd)) return;
      try {
        writeSync(logFd, `${message}\n`);
      } catch {
        // The log is best effort: a closed descriptor must not fail a deployment.
      }
    },
  };
}

/**
 * Entry point of an extension executable: `node <module> <kind> ARGS...`.
 * Runs the hook, unwinds the cleanup stack on every path (SIGINT and SIGTERM
 * included) and turns errors into `ERROR: ...` + exit 1. Does nothing when
 * the module was imported rather than run (`moduleUrl` is `import.meta.url`).
 */
export function runExtensionMain(extension: BuiltinExtension, moduleUrl: string): void {
  const script = process.argv[1];
  if (script === undefined || pathToFileURL(realpathSync(script)).href !== moduleUrl) return;
  const controller = new AbortController();
  const ctx = createProcessContext(process.env, controller);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    controller.abort();
    ctx.cleanup.unwind();
    process.stderr.write(`ERROR: ${extension.name} interrupted by ${signal}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  invokeHook(extension, ctx, process.argv.slice(2)).then(
    () => {
      ctx.cleanup.unwind();
      for (const failure of ctx.cleanup.failures) process.stderr.write(`warning: cleanup: ${failure}\n`);
      process.exitCode = 0;
    },
    (err: unknown) => {
      ctx.cleanup.unwind();
      const message =
        err instanceof MorphError ? err.locatedMessage : err instanceof Error ? err.message : String(err);
      process.stderr.write(`ERROR: ${message}\n`);
      if (err instanceof MorphError && err.hint) process.stderr.write(`hint: ${err.hint}\n`);
      if (!(err instanceof MorphError) && err instanceof Error && err.stack) ctx.log(err.stack);
      process.exitCode = 1;
    },
  );
}

/**
 * Calls the hook named by `argv[0]` with the remaining arguments.
 * @throws ExtensionError `usage` for an unknown kind or a wrong argument count.
 */
export async function invokeHook(
  extension: BuiltinExtension,
  ctx: ExtensionContext,
  argv: readonly string[],
): Promise<void> {
  const [kind, ...args] = argv;
  const usage = (expected: string) =>
    new ExtensionError(
      'usage',
      `usage: ${extension.name}.${kind} ${expected} (got ${args.length} arguments)`,
    );
  switch (kind) {
    case 'check':
      if (!extension.check) break;
      if (args.length !== 1) throw usage('LOCATION');
      return extension.check(ctx, args[0]!);
    case 'configure':
      if (!extension.configure) break;
      if (args.length !== 1) throw usage('TREE');
      await requireTree(args[0]!);
      return extension.configure(ctx, args[0]!);
    case 'write':
      if (!extension.write) break;
      if (args.length !== 2) throw usage('TREE LOCATION');
      await requireTree(args[0]!);
      return extension.write(ctx, args[0]!, args[1]!);
  }
  throw new ExtensionError('usage', `${extension.name} has no ${kind ?? '(missing)'} hook`);
}

async function requireTree(tree: string): Promise<void> {
  if (!(await statIfPresent(tree))?.isDirectory()) {
    throw new ExtensionError('no-tree', `system tree ${tree} is not a directory`);
  }
}
