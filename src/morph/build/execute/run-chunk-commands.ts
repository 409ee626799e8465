import { closeSync, openSync, writeSync } from 'node:fs';
import { type ByteString, CHUNK_COMMAND_FIELDS, type ChunkMorphology } from '../../model.js';
import { runInSandbox, type SandboxSpec } from './sandbox.js';

/** The step names of the twelve command lists (`configure-commands` → `configure`). */
export const BUILD_STEPS = CHUNK_COMMAND_FIELDS.map((field) => field.replace(/-commands$/, ''));

/** Why a chunk's commands stopped. */
export interface CommandFailure {
  step: string;
  command: ByteString;
  exitCode: number;
  /** Set when the command was killed for running longer than `timeoutSeconds`. */
  timedOutAfter?: number;
}

/**
 * Runs the twelve command lists of a chunk in order (docs/spec/morph.md 5.10), each
 * command as `sh -c` in the sandbox, appending to the build log: `# <step>`
 * before each non-empty step, `# # <command>` before each command, then its
 * output. `MAKEFLAGS` is `-j<maxJobs>` for the three build steps and `-j1`
 * otherwise. Returns the first failure, or undefined when all succeeded.
 */
export async function runChunkCommands(options: {
  morphology: ChunkMorphology;
  sandbox: SandboxSpec;
  env: Record<string, string>;
  maxJobs: number;
  logPath: string;
  scratchDir: string;
  /** Kills the running command when aborted. */
  signal?: AbortSignal;
  /** Kills a command running longer than this many seconds (0 or unset: never; `--build-timeout`). */
  timeoutSeconds?: number;
  /** Receives command output as it is logged (`build-log-on-stdout`). */
  onOutput?: (chunk: Buffer) => void;
  /** Called before each step (status lines, progress). */
  onStep?: (step: string) => void;
}): Promise<CommandFailure | undefined> {
  const fd = openSync(options.logPath, 'a');
  try {
    for (const field of CHUNK_COMMAND_FIELDS) {
      const commands = options.morphology[field] ?? [];
      if (commands.length === 0) continue;
      const step = field.replace(/-commands$/, '');
      options.onStep?.(step);
      writeSync(fd, `# ${step}\n`);
      const jobs = /^(pre-|post-)?build$/.test(step) ? options.maxJobs : 1;
      const env = { ...options.env, MAKEFLAGS: `-j${jobs}` };
      for (const command of commands) {
        writeSync(fd, Buffer.concat([Buffer.from('# # '), Buffer.from(command), Buffer.from('\n')]));
        const timeout = options.timeoutSeconds ?? 0;
        const timer = timeout > 0 ? new AbortController() : undefined;
        const timeoutHandle = timer ? setTimeout(() => timer.abort(), timeout * 1000) : undefined;
        const signals = [options.signal, timer?.signal].filter((s): s is AbortSignal => s !== undefined);
        try {
          const result = await runInSandbox(options.sandbox, command, env, {
            outputFd: fd,
            scratchDir: options.scratchDir,
            onOutput: options.onOutput,
            // bwrap runs with --die-with-parent and its own pid namespace: killing it ends the whole command.
            signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
          });
          if (timer?.signal.aborted && !options.signal?.aborted) {
            writeSync(fd, `# killed: the command ran longer than ${timeout} s (--build-timeout)\n`);
            return { step, command, exitCode: result.exitCode, timedOutAfter: timeout };
          }
          if (result.exitCode !== 0) return { step, command, exitCode: result.exitCode };
        } finally {
          clearTimeout(timeoutHandle);
        }
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
