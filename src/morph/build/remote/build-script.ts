import { CHUNK_COMMAND_FIELDS, type ChunkMorphology } from '../../model.js';
import { BUILD_UMASK } from '../hermetic.js';
import type { CommandFailure } from '../run-chunk-commands.js';

/** The line the build script writes on stderr when a command fails: step index, command index, exit code. */
export const FAILURE_MARKER = 'morph-remote-failure';

/**
 * The script a worker runs for one chunk (`sh morph-build.sh` at the top of
 * the input root). It needs only `sh` and `bwrap` on the worker: every
 * command of the twelve lists runs as `sh -c COMMAND` in a bubblewrap
 * sandbox laid out as morph's local staging sandbox is (docs/spec/morph.md 5.9): the
 * entries of `root/` bound read-only at `/`, `/<name>.build` and
 * `/<name>.inst` writable, fresh `/proc`, `/dev` and `/tmp`, working
 * directory `/<name>.build`. Its standard output is the build log, written
 * as a local build writes it (`# <step>`, `# # <command>`, output), so a
 * failure reads the same; `MAKEFLAGS` is `-j<maxJobs>` for the three build
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

/** Parses the failure line of the script's stderr: which command failed, with which exit code. */
export function parseFailure(stderr: string, morphology: ChunkMorphology): CommandFailure | undefined {
  const match = new RegExp(`${FAILURE_MARKER} (\\d+) (\\d+) (\\d+)`).exec(stderr);
  if (!match) return undefined;
  const field = CHUNK_COMMAND_FIELDS[Number(match[1])];
  const command = field ? morphology[field]?.[Number(match[2])] : undefined;
  if (!field || command === undefined) return undefined;
  return { step: field.replace(/-commands$/, ''), command, exitCode: Number(match[3]) };
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
