import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMetadata, morphVersion } from './metadata-record.js';

test('metadata is JSON with sorted keys and 4-space indentation', () => {
  assert.equal(
    formatMetadata({ b: 1, a: { d: [Buffer.from('x')], c: null } }),
    `{
    "a": {
        "c": null,
        "d": [
            "x"
        ]
    },
    "b": 1
}
`,
  );
});

test('morph-version names the package version', () => {
  assert.match(morphVersion().version, /^\d+\.\d+\.\d+/);
});
