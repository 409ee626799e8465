import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLocation, MORPH_REASONS, MorphError } from './errors.js';

test('a location is printed as file, file:line or file:line:column', () => {
  assert.equal(formatLocation({ file: 'strata/core.morph' }), 'strata/core.morph');
  assert.equal(formatLocation({ file: 'm.conf', line: 2 }), 'm.conf:2');
  assert.equal(formatLocation({ file: 'x.morph', line: 3, column: 7 }), 'x.morph:3:7');
});

test('the location stays data: the message has none, the located message puts it in front', () => {
  const located = new MorphError('definitions', 'missing-field', 'chunk a: missing field ref', {
    location: { file: 'strata/s.morph', line: 4, column: 3 },
  });
  assert.equal(located.message, 'chunk a: missing field ref');
  assert.deepEqual(located.location, { file: 'strata/s.morph', line: 4, column: 3 });
  assert.equal(located.locatedMessage, 'strata/s.morph:4:3: chunk a: missing field ref');
  assert.equal(located.code, 'definitions/missing-field');
  const unlocated = new MorphError('cli', 'usage', 'no subcommand given');
  assert.equal(unlocated.location, undefined);
  assert.equal(unlocated.locatedMessage, 'no subcommand given');
});

test('every reason is kebab-case and listed once in its domain', () => {
  for (const [domain, reasons] of Object.entries(MORPH_REASONS)) {
    assert.equal(new Set(reasons).size, reasons.length, domain);
    for (const reason of reasons) assert.match(reason, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${domain}/${reason}`);
  }
});
