import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MorphError } from '../errors.js';
import { parseYaml } from './parse-yaml.js';

// Hostile input (issue 13), in a process of its own: the stack overflow the
// deep document provokes inside the YAML parser is caught, but leaves V8 too
// little to compile the regexes of the other parser tests in the same process.
test('names the file for nesting and alias limits, binary and oversized input, never echoing it', () => {
  const failure = (data: string | Buffer): MorphError => {
    try {
      parseYaml(data, 'hostile.morph');
    } catch (err) {
      assert.ok(err instanceof MorphError);
      assert.equal(err.location?.file, 'hostile.morph');
      return err;
    }
    assert.fail('accepted');
  };
  assert.equal(failure(`${'['.repeat(20_000)}${']'.repeat(20_000)}`).reason, 'too-deep');
  assert.equal(failure(`a: ${'['.repeat(65)}1${']'.repeat(65)}\n`).reason, 'too-deep');
  assert.equal(parseYaml(`a: ${'['.repeat(60)}1${']'.repeat(60)}\n`, 'ok.morph') !== undefined, true);
  const self = failure('a: &x [*x]\n');
  assert.ok(['too-deep', 'syntax-error', 'too-many-aliases'].includes(self.reason), self.reason);
  const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 8; i++)
    laughs.push(`${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`);
  assert.equal(failure(`${laughs.join('\n')}\n`).reason, 'too-many-aliases');
  const elf = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00'), Buffer.alloc(64, 0)]);
  const binary = failure(elf);
  assert.equal(binary.reason, 'binary-file');
  assert.ok(!binary.message.includes('ELF'));
  assert.equal(failure(Buffer.alloc(17 * 1024 * 1024, 0x61)).reason, 'too-large');
});
