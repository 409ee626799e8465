import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { statIfPresent } from '../../shared/if-present.js';
import type { App } from '../app.js';
import { withBuildUmask } from '../build/graph/hermetic.js';
import { MorphError } from '../errors.js';
import type { ExtensionKind } from '../extensions/api.js';
import type { StatusReporter } from '../status/status-reporter.js';

/** `morphlib/exts/` of this package: the executable built-in extensions. */
export const BUILTIN_EXTENSIONS_DIR = fileURLToPath(new URL('../../../../morphlib/exts/', import.meta.url));

/** Where an extension was found. */
export interface FoundExtension {
  /** `<name>.<kind>`. */
  filename: string;
  path: string;
  /** True for a file of the definitions repo (copied to a private executable before running). */
  fromDefinitions: boolean;
}

/**
 * Finds `<name>.<kind>`: first at the top of the root checkout, else among
 * the built-in extensions (docs/spec/morph.md 6.3).
 * @returns undefined when there is none anywhere.
 * @throws MorphError `extension/not-executable` for a built-in that cannot be run.
 */
export async function findExtension(
  rootDir: string,
  name: string,
  kind: ExtensionKind,
): Promise<FoundExtension | undefined> {
  const filename = `${name}.${kind}`;
  if (name.includes('/') || name.startsWith('.')) return undefined;
  const local = join(rootDir, filename);
  if ((await statIfPresent(local))?.isFile()) {
    return { filename, path: local, fromDefinitions: true };
  }
  const builtin = join(BUILTIN_EXTENSIONS_DIR, filename);
  if (!(await statIfPresent(builtin))?.isFile()) return undefined;
  try {
    await access(builtin, constants.X_OK);
  } catch (cause) {
    throw new MorphError(
      'extension',
      'not-executable',
      `Extension ${filename} is not executable: ${builtin}`,
      {
        cause,
      },
    );
  }
  return { filename, path: builtin, fromDefinitions: false };
}

/** One run of an extension. */
export interface ExtensionRun {
  name: string;
  kind: ExtensionKind;
  args: readonly string[];
  /** The deployment environment (MORPH_LOG_FD is added). */
  env: Readonly<Record<string, string>>;
  /** The root checkout: lookup place and working directory. */
  rootDir: string;
  /** Where a definitions-repo extension is copied to run (default: the OS temp dir). */
  scratchDir?: string;
  /** Status lines of the extension's stdout go here (deploy prefix included). */
  status: StatusReporter;
}

let unshareWorks: boolean | undefined;

/** True when `unshare --mount` can give the extension a private mount namespace (root, util-linux). */
function canUnshare(): boolean {
  if (unshareWorks === undefined) {
    unshareWorks =
      process.getuid?.() === 0 &&
      spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0;
  }
  return unshareWorks;
}

/**
 * Runs an extension per the protocol of docs/spec/morph.md 6.3 and the contract in
 * `extensions/api.ts`. A missing `.check` is fine (returns false); any other
 * missing kind is an error.
 * @returns true when the extension existed and ran.
 * @throws MorphError `extension/not-found`, `extension/failed` (naming the
 *   extension, its exit code and its stderr), `extension/interrupted`.
 */
export async function runExtension(app: App, run: ExtensionRun): Promise<boolean> {
  const found = await findExtension(run.rootDir, run.name, run.kind);
  if (!found) {
    if (run.kind === 'check') return false;
    throw new MorphError('extension', 'not-found', `Could not find extension ${run.name}.${run.kind}`, {
      hint: `looked in ${run.rootDir} and ${BUILTIN_EXTENSIONS_DIR}`,
    });
  }
  let executable = found.path;
  let scratch: string | undefined;
  try {
    if (found.fromDefinitions) {
      // The file in the checkout may lack the x bit or sit on a noexec mount.
      scratch = await mkdtemp(join(run.scratchDir ?? tmpdir(), 'ext-'));
      executable = join(scratch, found.filename);
      await copyFile(found.path, executable);
      await chmod(executable, 0o700);
    }
    await execute(app, run, found.filename, executable);
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  return true;
}

/**
 * Runs the extension in its own session and process group, so that the
 * whole group (the extension and everything it started) can be signalled:
 * SIGTERM on Ctrl-C or SIGTERM to morph, SIGKILL to whatever is left once
 * the extension exits. A guardian (`sh`, in a group of its own) holds a pipe
 * from morph and kills the group when the pipe closes without morph having
 * dismissed it: so when morph is SIGKILLed, the extension dies with it
 * (the role of PR_SET_PDEATHSIG, for the whole group).
 *
 * An extension's own `ERROR:` line is not echoed as it comes: when the
 * extension fails it becomes morph's one error message; when it succeeds it
 * is echoed at the end.
 */
function execute(app: App, run: ExtensionRun, filename: string, executable: string): Promise<void> {
  const argv = canUnshare()
    ? ['unshare', '--mount', '--propagation', 'private', '--', executable, ...run.args]
    : [executable, ...run.args];
  app.status.chatty(`# ${argv.join(' ')}`);
  app.log.debug(`running extension ${filename} ${run.args.join(' ')}`);
  return new Promise((resolve, reject) => {
    // Files extensions write get the modes they would get on any machine.
    const [program, args] = withBuildUmask(argv[0]!, argv.slice(1));
    const child = spawn(program, args, {
      cwd: run.rootDir,
      env: { ...run.env, MORPH_LOG_FD: '3' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const group = child.pid;
    const guardian = group === undefined ? undefined : startGuardian(group);
    const signalGroup = (signal: NodeJS.Signals): void => {
      if (group === undefined) return;
      try {
        process.kill(-group, signal);
      } catch {
        // The group is gone already.
      }
    };
    const stderrLines: string[] = [];
    const errorLines: string[] = [];
    forEachLine(child.stdout, (line) => run.status.normal(line));
    forEachLine(child.stderr, (line) => {
      stderrLines.push(line);
      if (line.startsWith('ERROR:')) errorLines.push(line);
      else app.err(`${line}\n`);
    });
    const logPipe = child.stdio[3];
    if (logPipe instanceof Readable) forEachLine(logPipe, (line) => app.log.debug(`${filename}: ${line}`));
    // SIGTERM to the whole group; we wait for the extension to exit: it undoes its own mounts.
    const onAbort = () => signalGroup('SIGTERM');
    app.signal.addEventListener('abort', onAbort, { once: true });
    // Whatever the extension left running in its group goes with it (and lets its pipes close).
    child.on('exit', () => signalGroup('SIGKILL'));
    child.on('error', (cause) => {
      app.signal.removeEventListener('abort', onAbort);
      guardian?.dismiss();
      reject(new MorphError('extension', 'failed', `Extension ${filename} could not be started`, { cause }));
    });
    child.on('close', (code, signal) => {
      app.signal.removeEventListener('abort', onAbort);
      guardian?.dismiss();
      if (code === 0) {
        for (const line of errorLines) app.err(`${line}\n`);
        return resolve();
      }
      if (app.signal.aborted) {
        return reject(new MorphError('extension', 'interrupted', `Extension ${filename} was interrupted`));
      }
      const own = errorLines.at(-1);
      for (const line of errorLines.slice(0, -1)) app.err(`${line}\n`);
      if (own !== undefined) {
        // The extension said what went wrong: that is the one error line.
        app.log.debug(
          `extension ${filename} failed with ${code === null ? `signal ${signal}` : `code ${code}`}`,
        );
        return reject(new MorphError('extension', 'failed', own.slice('ERROR:'.length).trim()));
      }
      const detail = stderrLines.length > 0 ? `: ${stderrLines.join('\n')}` : '';
      reject(
        new MorphError(
          'extension',
          'failed',
          `Extension ${filename} failed with ${code === null ? `signal ${signal}` : `code ${code}`}${detail}`,
        ),
      );
    });
  });
}

/** A process that SIGKILLs a process group when morph dies before dismissing it. */
interface Guardian {
  dismiss(): void;
}

/**
 * Starts the guardian of process group `group`: `sh` reading a pipe from
 * morph that is never written; end of file (morph died: the kernel closes
 * its end) makes it kill the group. `dismiss` kills the guardian instead.
 */
function startGuardian(group: number): Guardian {
  const guardian = spawn(
    'sh',
    ['-c', 'read _ignored; kill -KILL -- "-$1" 2>/dev/null', 'morph-guardian', String(group)],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  );
  guardian.on('error', () => {});
  guardian.unref();
  return {
    dismiss: () => {
      guardian.kill('SIGKILL');
    },
  };
}

function forEachLine(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
  });
}
