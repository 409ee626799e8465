import { CHUNK_COMMAND_FIELDS, type ChunkMorphology } from '../../model.js';
import type { CommandFailure } from '../execute/run-chunk-commands.js';
import { BUILD_UMASK } from '../graph/hermetic.js';

/** The line the build script writes on stderr when a command fails: step index, command index, exit code. */
export const FAILURE_MARKER = 'morph-remote-failure';

/** The line the build script writes on stderr before each command: step index, command index. */
export const RUNNING_MARKER = 'morph-remote-running';

/**
 * The script a worker runs for one chunk (`sh morph-build.sh` at the top of
 * the input root). It needs only `sh` and `bwrap` on the worker: every
 * command of the twelve lists runs as `sh -c COMMAND` in a bubblewrap
 * sandbox laid out as morph's local staging sandbox is (docs/spec/morph.md 5.9): the
 * entries of `root/` bound read-only at `/`, `/<name>.build` and
 * `/<name>.inst` writable, fresh `/proc`, `/dev` and `/tmp`, working
 * directory `/<name>.build`. Its standard output is the build log, written
 * as a local build writes it (`# <step>`, `# # <command>`, output), so a
 * failure reads the same; on stderr it names each command as it starts
 * (so that an action killed for its timeout says which one ran) and the one
 * that failed, with its exit code; `MAKEFLAGS` is `-j<maxJobs>` for the three build
 * steps and `-j1` otherwise; the umask is the build umask (hermetic.ts).
 * The script is bytes because commands may be.
 */
export function buildScript(name: string, morphology: ChunkMorphology, maxJobs: number): Buffer {
  const build = `${name}.build`;
  const inst = `${name}.inst`;
  const parts: (string | Uint8Array)[] = [
    '#!/bin/sh\n',
    `# morph: the remote build of chunk ${name}\n`,
    `umask ${BUILD_UMASK.toString(8).padStart(4, '0')}\n`,
    'cd root || exit 125\n',
    'set --\n',
    'for e in * .[!.]* ..?*; do\n',
    '  [ -e "$e" ] || [ -L "$e" ] || continue\n',
    `  case "$e" in proc|dev|tmp|${quote(build)}|${quote(inst)}) continue ;; esac\n`,
    '  if [ -L "$e" ]; then set -- "$@" --symlink "$(readlink "$e")" "/$e"\n',
    '  else set -- "$@" --ro-bind "$PWD/$e" "/$e"; fi\n',
    'done\n',
    `set -- "$@" --bind "$PWD"/${quote(build)} /${quote(build)} --bind "$PWD"/${quote(inst)} /${quote(inst)}\n`,
    `set -- "$@" --proc /proc --dev /dev --tmpfs /dev/shm --tmpfs /tmp --remount-ro / --chdir /${quote(build)}\n`,
  ];
  CHUNK_COMMAND_FIELDS.forEach((field, stepIndex) => {
    const commands = morphology[field] ?? [];
    if (commands.length === 0) return;
    const step = field.replace(/-commands$/, '');
    const jobs = /^(pre-|post-)?build$/.test(step) ? maxJobs : 1;
    parts.push(`printf '# %s\\n' ${quote(step)}\n`, `MAKEFLAGS=-j${jobs}; export MAKEFLAGS\n`);
    commands.forEach((command, commandIndex) => {
      const bytes = typeof command === 'string' ? Buffer.from(command) : command;
      parts.push(`echo "${RUNNING_MARKER} ${stepIndex} ${commandIndex}" >&2\n`);
      parts.push("printf '# # %s\\n' ", quoteBytes(bytes), '\n');
      parts.push(
        'bwrap --die-with-parent --unshare-pid --unshare-ipc --unshare-uts "$@" sh -c ',
        quoteBytes(bytes),
        ' 2>&1\n',
        `rc=$?; if [ "$rc" -ne 0 ]; then echo "${FAILURE_MARKER} ${stepIndex} ${commandIndex} $rc" >&2; exit "$rc"; fi\n`,
      );
    });
  });
  parts.push('exit 0\n');
  return Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))),
  );
}

/**
 * Why a remote action of the build script failed, read from its stderr as a
 * local build would report it: the failing command (or, when the action was
 * killed for running longer than `timeoutSeconds`, the command that was
 * running) and what to append to the build log after the action's stdout.
 * An action that stopped outside any command (the worker could not run the
 * script, bwrap refused, a signal) is the command `sh morph-build.sh` of
 * the step `remote`, with the action's stderr as its output.
 */
export function remoteFailure(options: {
  stderr: string;
  exitCode: number;
  morphology: ChunkMorphology;
  /** Set when the engine killed the action for its timeout (DEADLINE_EXCEEDED). */
  timedOutAfter?: number;
}): { failure: CommandFailure; log: string } {
  const { stderr, morphology, timedOutAfter } = options;
  const exitCode = options.exitCode;
  const others = stderr
    .split('\n')
    .filter((line) => !line.startsWith(FAILURE_MARKER) && !line.startsWith(RUNNING_MARKER))
    .join('\n')
    .trim();
  const extra = others ? `${others}\n` : '';
  if (timedOutAfter) {
    const running = [...stderr.matchAll(new RegExp(`^${RUNNING_MARKER} (\\d+) (\\d+)$`, 'gm'))].pop();
    const command = running && commandAt(morphology, Number(running[1]), Number(running[2]));
    const killed = `# killed: the action ran longer than ${timedOutAfter} s (--build-timeout)\n`;
    if (command) return { failure: { ...command, exitCode, timedOutAfter }, log: extra + killed };
    return {
      failure: { step: 'remote', command: SCRIPT_COMMAND, exitCode, timedOutAfter },
      log: `# # ${SCRIPT_COMMAND}\n${extra}${killed}`,
    };
  }
  const failed = new RegExp(`^${FAILURE_MARKER} (\\d+) (\\d+) (\\d+)$`, 'm').exec(stderr);
  const command = failed && commandAt(morphology, Number(failed[1]), Number(failed[2]));
  if (failed && command) return { failure: { ...command, exitCode: Number(failed[3]) }, log: extra };
  return {
    failure: { step: 'remote', command: SCRIPT_COMMAND, exitCode },
    log: `# # ${SCRIPT_COMMAND}\n${extra}# the action exited ${exitCode} outside the chunk's commands\n`,
  };
}

/** The command the remote action runs (the build script at the top of its input root). */
export const SCRIPT_COMMAND = 'sh morph-build.sh';

function commandAt(
  morphology: ChunkMorphology,
  stepIndex: number,
  commandIndex: number,
): { step: string; command: CommandFailure['command'] } | undefined {
  const field = CHUNK_COMMAND_FIELDS[stepIndex];
  const command = field ? morphology[field]?.[commandIndex] : undefined;
  if (!field || command === undefined) return undefined;
  return { step: field.replace(/-commands$/, ''), command };
}

/** A shell word for `text`. */
function quote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** A shell word for arbitrary bytes (single quotes pass every byte but `'` and NUL through). */
function quoteBytes(bytes: Uint8Array): Buffer {
  const out: number[] = [0x27];
  for (const byte of bytes) {
    if (byte === 0x27) out.push(0x27, 0x5c, 0x27, 0x27);
    else out.push(byte);
  }
  out.push(0x27);
  return Buffer.from(out);
}
