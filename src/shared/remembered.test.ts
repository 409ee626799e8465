import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { remembered } from './remembered.js';

describe('remembered', () => {
  it('shares one piece of work between callers of the same key', async () => {
    const map = new Map<string, Promise<number>>();
    let made = 0;
    const make = async () => ++made;
    const [a, b] = await Promise.all([remembered(map, 'k', make), remembered(map, 'k', make)]);
    assert.deepEqual([a, b, made], [1, 1, 1]);
    assert.equal(await remembered(map, 'other', make), 2);
  });

  it('forgets a failure, so that the next caller tries again', async () => {
    const map = new Map<string, Promise<number>>();
    await assert.rejects(
      remembered(map, 'k', async () => {
        throw new Error('engine gone');
      }),
      /engine gone/,
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await remembered(map, 'k', async () => 7), 7);
  });
});
