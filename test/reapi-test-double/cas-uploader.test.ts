import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CasUploader } from '../../src/morph/build/remote/cas-uploader.js';
import { digestOf } from '../../src/morph/build/remote/digest.js';
import { doubleForTests } from './double-for-tests.js';

describe('CasUploader against the test double', () => {
  const engine = doubleForTests('cas-uploader-test');
  const { double } = engine;
  const blob = (text: string) => ({ digest: digestOf(Buffer.from(text)), bytes: Buffer.from(text) });

  it('sends a few small blobs without asking FindMissingBlobs, asks about a large set, and never asks twice', async () => {
    const uploader = new CasUploader(engine.client, await engine.client.capabilities());
    await uploader.upload([blob('one'), blob('two')]);
    assert.equal(double.findMissingCalls, 0, 'a few bytes: sent unasked');
    assert.deepEqual(double.uploads, { blobs: 2, bytes: 6 });

    // Over 256 KiB in all: asked first, and only what is missing is sent.
    const large = Array.from({ length: 40 }, (_, i) => blob(`${i}`.padEnd(8 * 1024, '.')));
    await uploader.upload([blob('one'), ...large]);
    assert.equal(double.findMissingCalls, 1);
    assert.equal(double.uploads.blobs, 42);

    // Known to be there: nothing asked, nothing sent.
    await uploader.upload([blob('two'), ...large]);
    assert.equal(double.findMissingCalls, 1);
    assert.equal(uploader.stats.blobsUploaded, 42);
  });
});
