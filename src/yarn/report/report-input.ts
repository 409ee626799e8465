import type { ScenarioResult, YarnDocument } from '../model.js';

/** Everything a file report needs. */
export interface ReportInput {
  readonly doc: YarnDocument;
  readonly results: readonly ScenarioResult[];
  readonly durationMs: number;
  /** Source text of each input file (for HTML); read from disk when missing. */
  readonly sources?: ReadonlyMap<string, string>;
}
