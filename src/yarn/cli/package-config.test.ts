import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { YarnError } from '../errors.js';
import { readPackageConfig } from './package-config.js';

function project(pkg: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'package-config-'));
  writeFileSync(join(dir, 'package.json'), typeof pkg === 'string' ? pkg : JSON.stringify(pkg));
  mkdirSync(join(dir, 'features', 'sub'), { recursive: true });
  return dir;
}

test('the nearest package.json upward gives steps (relative to it) and jobs', () => {
  const dir = project({ name: 'p', 'yarn-run': { steps: ['steps/index.ts'], jobs: 3 } });
  try {
    const config = readPackageConfig(join(dir, 'features', 'sub'));
    assert.equal(config.file, join(dir, 'package.json'));
    assert.deepEqual(config.steps, [join(dir, 'steps', 'index.ts')]);
    assert.equal(config.jobs, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a nearer package.json without "yarn-run" hides an outer one', () => {
  const dir = project({ 'yarn-run': { steps: ['outer.ts'] } });
  try {
    writeFileSync(join(dir, 'features', 'package.json'), '{"name":"inner"}');
    const config = readPackageConfig(join(dir, 'features', 'sub'));
    assert.deepEqual(config.steps, []);
    assert.equal(config.jobs, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed configuration is a CONFIG error naming the file', () => {
  for (const pkg of [
    '{ not json',
    { 'yarn-run': [] },
    { 'yarn-run': { steps: 'a.ts' } },
    { 'yarn-run': { jobs: 0 } },
    { 'yarn-run': { jobs: '4' } },
  ]) {
    const dir = project(pkg);
    try {
      assert.throws(
        () => readPackageConfig(dir),
        (e: unknown) =>
          e instanceof YarnError && e.code === 'CONFIG' && e.location === join(dir, 'package.json'),
        JSON.stringify(pkg),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const dir = project({ 'yarn-run': { jobs: 'auto' } });
  assert.equal(readPackageConfig(dir).jobs, 'auto');
  rmSync(dir, { recursive: true, force: true });
});
