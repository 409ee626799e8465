import { MorphError } from '../../errors.js';

/**
 * A chunk command failed (docs/spec/morph.md 5.10 step 5). The CLI prints `<step>
 * failed` and the whole `log` on stdout before the `ERROR:` line.
 */
export class ChunkBuildError extends MorphError {
  readonly step: string;
  readonly log: string;
  readonly stagingArea: string;

  constructor(init: {
    chunk: string;
    step: string;
    command: string;
    exitCode: number;
    log: string;
    stagingArea: string;
    output: string;
    /** The command was killed after this many seconds (`--build-timeout`). */
    timedOutAfter?: number;
    /** The build filled its filesystem: the staging area was removed, not kept. */
    noSpace?: boolean;
  }) {
    const what = init.timedOutAfter
      ? `was killed after ${init.timedOutAfter} s (--build-timeout)`
      : `failed with exit code ${init.exitCode}`;
    const message = init.noSpace
      ? `Building ${init.chunk} ran out of disk space: ${init.stagingArea} filled its filesystem (No space left on device) running '${init.command}'; the staging area was removed.`
      : `In staging area ${init.stagingArea}: running command '${init.command}' ${what} building ${init.chunk}.`;
    super(
      'build',
      init.noSpace ? 'no-space' : init.timedOutAfter ? 'build-timeout' : 'chunk-build-failed',
      message,
      {
        hint: init.noSpace
          ? `free space on the filesystem of ${init.stagingArea} (morph gc removes old artifacts), or set tempdir elsewhere`
          : init.output.trim() === ''
            ? undefined
            : init.output.trimEnd(),
      },
    );
    this.step = init.step;
    this.log = init.log;
    this.stagingArea = init.stagingArea;
  }
}
