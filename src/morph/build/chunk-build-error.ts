import { MorphError } from '../errors.js';

/**
 * A chunk command failed (morph.md 5.10 step 5). The CLI prints `<step>
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
  }) {
    super(
      'build',
      'chunk-build-failed',
      `In staging area ${init.stagingArea}: running command '${init.command}' failed with exit code ${init.exitCode} building ${init.chunk}.`,
      { hint: init.output.trim() === '' ? undefined : init.output.trimEnd() },
    );
    this.step = init.step;
    this.log = init.log;
    this.stagingArea = init.stagingArea;
  }
}
