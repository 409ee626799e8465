#!/usr/bin/env node
// Starts the REAPI TEST DOUBLE (see reapi-test-double.ts) for the acceptance
// suite and the benchmark: prints its port on stdout (and to --port-file),
// then serves until killed.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ReapiTestDouble } from './reapi-test-double.js';

const { values } = parseArgs({
  options: {
    'work-dir': { type: 'string' },
    'port-file': { type: 'string' },
    'log-file': { type: 'string' },
    'max-batch-bytes': { type: 'string' },
    'vanish-on-execute': { type: 'string' },
    'action-nice': { type: 'string' },
  },
});
if (!values['work-dir']) {
  console.error('ERROR: reapi test double: --work-dir DIR is required');
  process.exit(2);
}
const double = new ReapiTestDouble({
  workDir: values['work-dir'],
  logFile: values['log-file'],
  maxBatchBytes: values['max-batch-bytes'] ? Number(values['max-batch-bytes']) : undefined,
  vanishOnExecute: values['vanish-on-execute'] ? Number(values['vanish-on-execute']) : undefined,
  actionNice: values['action-nice'] ? Number(values['action-nice']) : undefined,
});
const port = await double.start();
if (values['port-file']) writeFileSync(values['port-file'], `${port}\n`);
console.log(port);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    double.stop();
    process.exit(0);
  });
}
