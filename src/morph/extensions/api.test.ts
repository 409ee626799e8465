import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BuiltinExtension,
  CleanupStack,
  type ExtensionContext,
  invokeHook,
  parseSize,
  readBoolean,
} from './api.js';

test('sizes take binary k/m/g/t suffixes in either case', () => {
  assert.equal(parseSize('1048576'), 1048576);
  assert.equal(parseSize('20M'), 20 * 1024 ** 2);
  assert.equal(parseSize('4g'), 4 * 1024 ** 3);
  assert.equal(parseSize('512k'), 512 * 1024);
  assert.equal(parseSize(' 2G '), 2 * 1024 ** 3);
  for (const bad of ['', 'M', '1.5G', '20MB2', '-1']) {
    assert.throws(() => parseSize(bad, 'DISK_SIZE'), { code: 'extension/bad-size' });
  }
});

test('booleans: yes/true/1, no/false/0 or unset; anything else is an error', () => {
  for (const yes of ['yes', 'True', '1', 'YES']) assert.equal(readBoolean({ UPGRADE: yes }, 'UPGRADE'), true);
  for (const no of ['no', 'False', '0', '']) assert.equal(readBoolean({ UPGRADE: no }, 'UPGRADE'), false);
  assert.equal(readBoolean({}, 'UPGRADE'), false);
  assert.throws(() => readBoolean({ UPGRADE: 'maybe' }, 'UPGRADE'), { code: 'extension/bad-boolean' });
});

test('invokeHook dispatches by kind and checks argument counts', async () => {
  const calls: string[] = [];
  const extension: BuiltinExtension = {
    name: 'x',
    async check(_ctx, location) {
      calls.push(`check ${location}`);
    },
    async write(_ctx, tree, location) {
      calls.push(`write ${tree} ${location}`);
    },
  };
  const ctx = {} as ExtensionContext;
  await invokeHook(extension, ctx, ['check', 'loc']);
  await invokeHook(extension, ctx, ['write', '/', 'loc']);
  assert.deepEqual(calls, ['check loc', 'write / loc']);
  await assert.rejects(invokeHook(extension, ctx, ['write', '/nonexistent-tree', 'loc']), {
    code: 'extension/no-tree',
  });
  await assert.rejects(invokeHook(extension, ctx, ['write', 'tree']), { code: 'extension/usage' });
  await assert.rejects(invokeHook(extension, ctx, ['configure', 'tree']), { code: 'extension/usage' });
  await assert.rejects(invokeHook(extension, ctx, []), { code: 'extension/usage' });
});

test('the cleanup stack runs newest first, once, and keeps going after a failure', () => {
  const stack = new CleanupStack();
  const order: string[] = [];
  stack.push('a', () => order.push('a'));
  const b = stack.push('b', () => order.push('b'));
  stack.push('c', () => {
    throw new Error('boom');
  });
  const d = stack.push('d', () => order.push('d'));
  d.forget();
  b.release();
  assert.deepEqual(order, ['b']);
  b.release();
  stack.unwind();
  assert.deepEqual(order, ['b', 'a']);
  assert.deepEqual(stack.failures, ['c: boom']);
  assert.equal(stack.size, 0);
});
