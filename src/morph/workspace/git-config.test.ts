import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getGitConfig, getGitConfigs } from './git-config.js';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('getGitConfigs', () => {
  it('reads several values at once, the last of each, only the keys asked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morph-gitconfig-'));
    roots.push(dir);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir });
    git('init', '-q');
    git('config', 'morph.uuid', 'u1');
    git('config', '--add', 'morph.uuid', 'u2');
    git('config', 'morph.repository', 'test:a b\nc');
    git('config', 'morphXuuid.x', 'not asked for');
    git('config', 'morph.uuidx', 'not asked for');
    const values = await getGitConfigs(dir, ['morph.uuid', 'morph.repository', 'user.nosuch']);
    assert.deepEqual([...values].sort(), [
      ['morph.repository', 'test:a b\nc'],
      ['morph.uuid', 'u2'],
    ]);
    assert.equal(values.get('morph.uuid'), await getGitConfig(dir, 'morph.uuid'), 'as --get gives it');
  });

  it('gives nothing outside a repository or when no key is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morph-gitconfig-'));
    roots.push(dir);
    assert.deepEqual([...(await getGitConfigs(dir, ['morph.uuid']))], []);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    assert.deepEqual([...(await getGitConfigs(dir, ['morph.uuid']))], []);
  });
});
