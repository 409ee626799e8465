import type { ScenarioResult } from '../model.js';

/** Counts of scenario outcomes. */
export function countResults(results: readonly ScenarioResult[]): {
  passed: number;
  failed: number;
  skipped: number;
} {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of results) {
    if (r.status === 'passed') passed++;
    else if (r.status === 'failed') failed++;
    else skipped++;
  }
  return { passed, failed, skipped };
}

/** The fixed last line of every run (HS-2): `N passed, N failed, N skipped`. */
export function summaryLine(results: readonly ScenarioResult[]): string {
  const c = countResults(results);
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
}
