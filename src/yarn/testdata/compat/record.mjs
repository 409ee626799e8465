#!/usr/bin/env node
// Re-records every case's `expect` in cases.json from the reference engine:
//   npx tsc -p tsconfig.json && node src/yarn/testdata/compat/record.mjs [CASE...]
// Review the diff of cases.json before committing: it is the compatibility contract.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { REFERENCE_YARN, runCase } = await import(join(here, '../../../../dist/test/support/compat-harness.js'));
const file = join(here, 'cases.json');
const data = JSON.parse(readFileSync(file, 'utf8'));
const only = new Set(process.argv.slice(2));
for (const c of data.cases) {
  if (only.size > 0 && !only.has(c.name)) continue;
  const r = await runCase([REFERENCE_YARN], here, c);
  if (r.timedOut) throw new Error(`${c.name}: the reference timed out`);
  c.expect = r.outcome;
  process.stdout.write(`${c.name}: ${JSON.stringify(r.outcome)}\n`);
}
writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
