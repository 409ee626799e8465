import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseStatusZ, uncommittedChanges } from './uncommitted-changes.js';

describe('parseStatusZ', () => {
  it('reads entries and the old path of renames', () => {
    assert.deepEqual(parseStatusZ(' M a\0R  new\0old\0?? x.morph\0!! ign\0'), [
      { code: ' M', path: 'a' },
      { code: 'R ', path: 'new', from: 'old' },
      { code: '??', path: 'x.morph' },
      { code: '!!', path: 'ign' },
    ]);
  });
});

describe('uncommittedChanges', () => {
  it('ignores untracked and ignored files except untracked .morph files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morph-status-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
    writeFileSync(join(dir, 'tracked'), 'a');
    writeFileSync(join(dir, '.gitignore'), '*.o\n');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
    writeFileSync(join(dir, 'untracked'), 'x');
    writeFileSync(join(dir, 'a.o'), 'x');
    assert.deepEqual(await uncommittedChanges(dir), []);
    writeFileSync(join(dir, 'new.morph'), 'x');
    assert.deepEqual(await uncommittedChanges(dir), [{ code: '??', path: 'new.morph' }]);
    writeFileSync(join(dir, 'tracked'), 'b');
    assert.equal((await uncommittedChanges(dir)).length, 2);
  });
});
