import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MorphError } from '../errors.js';
import {
  ARCHITECTURES,
  architectureFromMachine,
  canBuildArchitecture,
  isArchitecture,
  normaliseArchitecture,
} from './architecture.js';

describe('architectureFromMachine', () => {
  it('maps uname -m output as docs/spec/morph.md 9.1 says', () => {
    const cases: [string, boolean, string][] = [
      ['x86_64', false, 'x86_64'],
      ['i386', false, 'x86_32'],
      ['i486', false, 'x86_32'],
      ['i586', false, 'x86_32'],
      ['i686\n', false, 'x86_32'],
      ['armv7l', false, 'armv7l'],
      ['armv7l', true, 'armv7lhf'],
      ['armv7b', false, 'armv7b'],
      ['armv8l', false, 'armv8l'],
      ['armv8b', false, 'armv8b'],
      ['ppc64', false, 'ppc64'],
      ['aarch64', false, 'armv8l64'],
      ['aarch64b', false, 'armv8b64'],
    ];
    for (const [machine, hardFloat, expected] of cases) {
      assert.equal(architectureFromMachine(machine, hardFloat), expected, machine);
    }
  });

  it('rejects unknown machines', () => {
    assert.throws(
      () => architectureFromMachine('sparc64', false),
      (err: unknown) => err instanceof MorphError && err.reason === 'unknown-host-architecture',
    );
  });
});

describe('system architectures', () => {
  it('lists the known architectures and normalises armv7', () => {
    assert.equal(ARCHITECTURES.length, 9);
    assert.ok(isArchitecture('testarch'));
    assert.ok(!isArchitecture('armv7'));
    assert.equal(normaliseArchitecture('armv7'), 'armv7l');
    assert.equal(normaliseArchitecture('x86_64'), 'x86_64');
  });

  it('allows armv8 hosts to build 32-bit ARM systems of their endianness', () => {
    assert.ok(canBuildArchitecture('x86_64', 'x86_64'));
    assert.ok(!canBuildArchitecture('x86_64', 'x86_32'));
    assert.ok(canBuildArchitecture('armv8l', 'armv7l'));
    assert.ok(canBuildArchitecture('armv8l', 'armv7lhf'));
    assert.ok(!canBuildArchitecture('armv8l', 'armv7b'));
    assert.ok(canBuildArchitecture('armv8b', 'armv7b'));
    assert.ok(!canBuildArchitecture('armv8b', 'armv7l'));
  });
});
