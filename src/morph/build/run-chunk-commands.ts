import { closeSync, openSync, writeSync } from 'node:fs';
import { type ByteString, CHUNK_COMMAND_FIELDS, type ChunkMorphology } from '../model.js';
import { runInSandbox, type SandboxSpec } from './sandbox.js';

/** The step names of the twelve command lists (`configure-commands` → `configure`). */
export const BUILD_STEPS = CHUNK_COMMAND_FIELDS.map((field) => field.replace(/-commands$/, ''));

/** Why a chunk's commands stopped. */
export interface CommandFailure {
  step: string;
  command: ByteString;
  exitCode: number;
}

/**
 * Runs the twelve command lists of a chunk in order (morph.md 5.10), each
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
        const result = await runInSandbox(options.sandbox, command, env, {
          outputFd: fd,
          scratchDir: options.scratchDir,
          onOutput: options.onOutput,
          signal: options.signal,
        });
        if (result.exitCode !== 0) return { step, command, exitCode: result.exitCode };
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
