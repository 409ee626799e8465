import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hasObjectFile } from './object-presence.js';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function repo() {
  const root = mkdtempSync(join(tmpdir(), 'morph-presence-'));
  roots.push(root);
  const work = join(root, 'work');
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd })
      .toString()
      .trim();
  git(root, 'init', '-q', '-b', 'master', work);
  for (let i = 0; i < 30; i++) {
    writeFileSync(join(work, `f${i}`), `${i}\n`);
    git(work, 'add', '.');
    git(work, 'commit', '-qm', `c${i}`);
  }
  return { root, work, git };
}

describe('hasObjectFile', () => {
  it('finds loose objects and objects in packs, and nothing else', () => {
    const { root, work, git } = repo();
    const commits = git(work, 'rev-list', 'HEAD').split('\n');
    const gitDir = join(work, '.git');
    assert.ok(
      commits.every((c) => hasObjectFile(gitDir, c)),
      'loose',
    );
    const mirror = join(root, 'mirror');
    git(root, 'clone', '-q', '--mirror', work, mirror);
    assert.ok(
      commits.every((c) => hasObjectFile(mirror, c)),
      'packed',
    );
    assert.ok(hasObjectFile(mirror, git(work, 'rev-parse', 'HEAD:f7')));
    assert.equal(hasObjectFile(mirror, 'f'.repeat(40)), false);
    assert.equal(hasObjectFile(mirror, '0'.repeat(40)), false);
    assert.equal(hasObjectFile(mirror, 'HEAD'), false);
    assert.equal(hasObjectFile(join(root, 'nowhere'), commits[0] as string), false);
  });

  it('does not look through alternates (git is asked then)', () => {
    const { root, work, git } = repo();
    const shared = join(root, 'shared');
    git(root, 'clone', '-q', '--bare', '--shared', work, shared);
    assert.equal(hasObjectFile(shared, git(work, 'rev-parse', 'HEAD')), false);
  });
});
