import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseMorphologyPath } from './morphology-path.js';

const root = '/ws/master/test/morphs';

test('relative, ../ and absolute paths all name the file in the root checkout', () => {
  assert.equal(normaliseMorphologyPath('systems/test-system.morph', root, root), 'systems/test-system.morph');
  const systems = `${root}/systems`;
  assert.equal(normaliseMorphologyPath('test-system.morph', systems, root), 'systems/test-system.morph');
  assert.equal(normaliseMorphologyPath('test-system', systems, root), 'systems/test-system.morph');
  assert.equal(
    normaliseMorphologyPath('../systems/test-system.morph', systems, root),
    'systems/test-system.morph',
  );
  assert.equal(
    normaliseMorphologyPath(`${systems}/test-system.morph`, '/', root),
    'systems/test-system.morph',
  );
});

test('a file outside the root checkout is refused', () => {
  assert.throws(() => normaliseMorphologyPath('../../x.morph', root, root), {
    reason: 'outside-root-checkout',
  });
});
