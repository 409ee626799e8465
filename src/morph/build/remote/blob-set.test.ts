import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlobSet } from './blob-set.js';
import { digestOf } from './digest.js';

const blob = (text: string) => ({ digest: digestOf(Buffer.from(text)), bytes: Buffer.from(text) });

test('a set includes another by reference and lists every content once', () => {
  const shared = new BlobSet();
  shared.add(blob('a'));
  const chunk = new BlobSet();
  chunk.include(shared);
  chunk.add(blob('a'));
  chunk.add(blob('b'));
  // Added to the included set afterwards: seen through the reference.
  shared.add(blob('c'));
  assert.deepEqual(
    chunk
      .all()
      .map((b) => b.bytes?.toString())
      .sort(),
    ['a', 'b', 'c'],
  );
  assert.equal(chunk.get(blob('c').digest.hash)?.bytes?.toString(), 'c');
  assert.ok(!chunk.has(blob('d').digest.hash));
  // The including set's own blobs do not go into the included one.
  assert.deepEqual(
    shared
      .all()
      .map((b) => b.bytes?.toString())
      .sort(),
    ['a', 'c'],
  );
});
