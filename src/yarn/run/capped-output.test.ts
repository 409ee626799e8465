import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { capText, OUTPUT_CAP, readCapped } from './capped-output.js';

test('short output is kept whole, long output keeps head and tail', () => {
  assert.equal(capText('abc'), 'abc');
  const long = `HEAD${'x'.repeat(OUTPUT_CAP * 2)}TAIL`;
  const capped = capText(long);
  assert.ok(capped.length < OUTPUT_CAP + 100);
  assert.ok(capped.startsWith('HEAD') && capped.endsWith('TAIL'));
  assert.match(capped, /bytes omitted by yarn-run/);
});

test('readCapped reads files the same way, and missing files as empty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capped-'));
  try {
    writeFileSync(join(dir, 'small'), 'hello\n');
    writeFileSync(join(dir, 'big'), `HEAD${'y'.repeat(OUTPUT_CAP * 2)}TAIL`);
    assert.equal(readCapped(join(dir, 'small')), 'hello\n');
    const big = readCapped(join(dir, 'big'));
    assert.ok(big.startsWith('HEAD') && big.endsWith('TAIL') && big.length < OUTPUT_CAP + 100);
    assert.equal(readCapped(join(dir, 'missing')), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
