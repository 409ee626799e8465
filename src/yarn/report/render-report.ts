import type { ScenarioResult, YarnDocument } from '../model.js';

/** Everything a file report needs. */
export interface ReportInput {
  readonly doc: YarnDocument;
  readonly results: readonly ScenarioResult[];
  readonly durationMs: number;
}

/** Renders `--format` output. */
export function renderReport(format: 'tap' | 'junit' | 'json' | 'html', input: ReportInput): string {
  return `${format} ${input.results.length}\n`;
}
