// Runs every compiled unit test under dist/ with `node --test`
// (Node 20's runner expands no globs, so the files are listed here).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const found = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) found.push(path);
  }
}
walk('dist');
found.push('scripts/check-layers.test.mjs');
const args = [
  '--test',
  '--test-concurrency=2',
  '--test-reporter=spec',
  ...process.argv.slice(2),
  ...found.sort(),
];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
