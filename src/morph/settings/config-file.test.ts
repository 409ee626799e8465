import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfigFile, readConfigFiles } from './config-file.js';

describe('parseConfigFile', () => {
  it('reads only the [config] section, as the suites write it', () => {
    const text = [
      '# comment',
      '[other]',
      'cachedir = /wrong',
      '[config]',
      'repo-alias = test=git://127.0.0.1:1/%s#git://127.0.0.1:1/%s',
      'cachedir = /d/cache',
      'trove-host= []',
      'Push-Build-Branches: True',
      '; another comment',
      'config-list = a,',
      '  b',
    ].join('\n');
    const entries = parseConfigFile(text, 'f.conf').map((e) => [e.key, e.value]);
    assert.deepEqual(entries, [
      ['repo-alias', 'test=git://127.0.0.1:1/%s#git://127.0.0.1:1/%s'],
      ['cachedir', '/d/cache'],
      ['trove-host', '[]'],
      ['push-build-branches', 'True'],
      ['config-list', 'a,\nb'],
    ]);
  });

  it('names the line of a syntax error', () => {
    assert.throws(() => parseConfigFile('[config]\njunk\n', 'f.conf'), {
      code: 'config/bad-config-file',
      location: { file: 'f.conf', line: 2 },
    });
    assert.throws(() => parseConfigFile('key = value\n', 'f.conf'), { code: 'config/bad-config-file' });
  });
});

describe('readConfigFiles', () => {
  it('silently skips missing files and keeps reading order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morph-config-'));
    writeFileSync(join(dir, 'a.conf'), '[config]\ncachedir = /a\n');
    writeFileSync(join(dir, 'b.conf'), '[config]\ncachedir = /b\n');
    const entries = await readConfigFiles([
      join(dir, 'a.conf'),
      join(dir, 'missing.conf'),
      join(dir, 'b.conf'),
    ]);
    assert.deepEqual(
      entries.map((e) => e.value),
      ['/a', '/b'],
    );
  });
  it('names a binary file (--config=/bin/true) as such and never echoes it', async () => {
    await assert.rejects(readConfigFiles(['/bin/true']), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'config/bad-config-file');
      assert.ok(!err.message.includes('ELF'), err.message);
      assert.ok(err.message.length < 200, err.message);
      return true;
    });
  });
});
