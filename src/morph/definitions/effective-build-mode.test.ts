import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveBuildMode } from './effective-build-mode.js';

describe('effectiveBuildMode', () => {
  it('keeps known modes and treats anything else as staging with a warning', () => {
    const warnings: string[] = [];
    assert.equal(effectiveBuildMode('bootstrap', warnings), 'bootstrap');
    assert.equal(effectiveBuildMode('test', warnings), 'test');
    assert.equal(effectiveBuildMode('staging', warnings), 'staging');
    assert.equal(effectiveBuildMode(undefined, warnings), 'staging');
    assert.deepEqual(warnings, []);
    assert.equal(effectiveBuildMode('chroot', warnings, 'gcc'), 'staging');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /chroot.*gcc/);
    assert.equal(effectiveBuildMode('x'), 'staging');
  });
});
