import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fabricateCheckoutPath } from './checkout-path.js';

describe('fabricateCheckoutPath', () => {
  it('follows the examples of docs/spec/morph.md 3.1', () => {
    assert.equal(fabricateCheckoutPath('/ws/b', 'test:morphs'), '/ws/b/test/morphs');
    assert.equal(fabricateCheckoutPath('/ws/b', 'test:test-chunk'), '/ws/b/test/test-chunk');
    assert.equal(fabricateCheckoutPath('/ws/b', 'file:///d/morphs'), '/ws/b/d/morphs');
    assert.equal(fabricateCheckoutPath('/ws/b', 'git://h:1234/x.git'), '/ws/b/h/1234/x');
  });
  it('handles other names', () => {
    assert.equal(
      fabricateCheckoutPath('/ws/b', 'baserock:baserock/definitions'),
      '/ws/b/baserock/baserock/definitions',
    );
    assert.equal(fabricateCheckoutPath('/ws/b', '/abs/repo.git'), '/ws/b/abs/repo');
    assert.equal(fabricateCheckoutPath('/ws/b', 'plain'), '/ws/b/plain');
    assert.equal(fabricateCheckoutPath('/ws/b', 'ssh://git@h/a/b'), '/ws/b/git@h/a/b');
  });
});
