import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBoolean, parseByteSize, parseSettingValue } from './parse-setting-value.js';
import { findSetting } from './setting-table.js';

describe('parseByteSize', () => {
  it('reads plain numbers and K/M/G/T suffixes as powers of 1024', () => {
    assert.equal(parseByteSize('0'), 0);
    assert.equal(parseByteSize('123'), 123);
    assert.equal(parseByteSize('2k'), 2048);
    assert.equal(parseByteSize('20M'), 20 * 1024 ** 2);
    assert.equal(parseByteSize('4G'), 4 * 1024 ** 3);
    assert.equal(parseByteSize('1TiB'), 1024 ** 4);
  });
  it('rejects anything else', () => {
    assert.throws(() => parseByteSize('4X'), { code: 'config/bad-value' });
    assert.throws(() => parseByteSize(''), { code: 'config/bad-value' });
    assert.throws(() => parseByteSize('-1'), { code: 'config/bad-value' });
  });
});

describe('parseBoolean', () => {
  it('accepts the config-file spellings in any case', () => {
    for (const t of ['true', 'True', 'YES', '1', 'on']) assert.equal(parseBoolean(t), true, t);
    for (const t of ['false', 'False', 'no', '0', 'OFF']) assert.equal(parseBoolean(t), false, t);
    assert.throws(() => parseBoolean('maybe'), { code: 'config/bad-value' });
  });
});

describe('parseSettingValue', () => {
  it('splits lists on commas in config files only', () => {
    const spec = findSetting('repo-alias')!;
    assert.deepEqual(parseSettingValue(spec, 'a=x#y, b=z#w', true), ['a=x#y', 'b=z#w']);
    assert.deepEqual(parseSettingValue(spec, 'a=x#y, b=z#w', false), ['a=x#y, b=z#w']);
  });
  it('checks choices and integers', () => {
    assert.equal(parseSettingValue(findSetting('union-filesystem')!, 'copy', false), 'copy');
    assert.throws(() => parseSettingValue(findSetting('union-filesystem')!, 'aufs', false), {
      code: 'config/bad-value',
    });
    assert.equal(parseSettingValue(findSetting('max-jobs')!, ' 7 ', true), 7);
  });
  it('refuses integers out of their range (--max-jobs=-3, 0)', () => {
    for (const bad of ['-3', '0', '100000']) {
      assert.throws(
        () => parseSettingValue(findSetting('max-jobs')!, bad, false),
        { code: 'config/bad-value' },
        bad,
      );
    }
    assert.throws(() => parseSettingValue(findSetting('controller-initiator-port')!, '70000', false), {
      code: 'config/bad-value',
    });
  });
});
