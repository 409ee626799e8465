import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { YarnError } from '../errors.js';
import { parseArgs } from './options.js';
import { loadRunBundle } from './run-bundle.js';

test('the run bundle loads with its code cache and shares the engine modules (one YarnError class)', async () => {
  const loaded = loadRunBundle();
  assert.ok(loaded, 'npm run build makes dist/src/yarn/cli/run-subcommand.bundle.cjs');
  // Under c8 node runs with coverage on, and V8 then takes no code cache.
  if (!process.env.NODE_V8_COVERAGE) assert.equal(loaded.script.cachedDataRejected, false);
  const dir = mkdtempSync(join(tmpdir(), 'run-bundle-'));
  try {
    // No scenario: the bundled run command throws the engine's own YarnError.
    const empty = join(dir, 'empty.yarn');
    writeFileSync(empty, 'Nothing here.\n');
    await assert.rejects(loaded.exports.runSubcommand(parseArgs(['-q', empty])), (err) => {
      assert.ok(err instanceof YarnError, String(err));
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
