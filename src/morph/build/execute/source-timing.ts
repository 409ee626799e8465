import { writeFileAtomic } from '../../../shared/atomic-file.js';

/** Build-time record of one source (`<key>.meta`, docs/spec/morph.md 5.7). */
export class SourceTiming {
  private readonly times: Record<string, { start: string; stop: string; delta: number }> = {};

  /** Runs `work` as the stage `name`, recording its start, stop and duration. */
  async stage<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = new Date();
    try {
      return await work();
    } finally {
      const stop = new Date();
      this.times[name] = {
        start: start.toISOString(),
        stop: stop.toISOString(),
        delta: (stop.getTime() - start.getTime()) / 1000,
      };
    }
  }

  /** Writes `{"build-times": {...}}` atomically. */
  async write(path: string): Promise<void> {
    await writeFileAtomic(path, `${JSON.stringify({ 'build-times': this.times }, null, 4)}\n`);
  }
}
