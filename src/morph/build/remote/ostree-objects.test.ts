import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { commitFiles } from './ostree-objects.js';

/** `ostree ls -R -C`'s files and symbolic links of `commit`: "path object" lines, sorted. */
function ostreeLs(repo: string, commit: string): string[] {
  return execFileSync('ostree', [`--repo=${repo}`, 'ls', '-R', '-C', commit], { maxBuffer: 1 << 26 })
    .toString()
    .split('\n')
    .filter((line) => /^[-l]/.test(line))
    .map((line) => {
      const match = /^[-l][0-7]{5} +\d+ +\d+ +\d+ ([0-9a-f]{64}) \/(.+?)(?: -> .*)?$/.exec(line);
      return `${match?.[2]} ${match?.[1]}`;
    })
    .sort();
}

describe('commitFiles (OSTree commit and dirtree objects read directly)', () => {
  const top = mkdtempSync(join(tmpdir(), 'ostree-objects-test-'));
  after(() => rmSync(top, { recursive: true, force: true }));

  /** A tree with a wide directory (a dirtree over 64 KiB: 4-byte offsets), deep paths, odd names, a link, an empty dir. */
  function makeTree(): string {
    const tree = join(top, 'tree');
    mkdirSync(join(tree, 'usr', 'lib', 'deep', 'er', 'still'), { recursive: true });
    mkdirSync(join(tree, 'empty'));
    for (let i = 0; i < 1500; i++)
      writeFileSync(join(tree, 'usr', 'lib', `lib-number-${i}.so`), `lib ${i % 700}\n`);
    writeFileSync(join(tree, 'usr', 'lib', 'deep', 'er', 'still', 'x'), '');
    writeFileSync(join(tree, 'a name with spaces and ünïcode'), 'u\n');
    symlinkSync('usr/lib', join(tree, 'lib'));
    return tree;
  }

  for (const mode of ['bare', 'bare-user'] as const) {
    it(`lists what ostree ls lists, in a ${mode} repository`, async () => {
      const repo = join(top, `repo-${mode}`);
      execFileSync('ostree', [`--repo=${repo}`, 'init', `--mode=${mode}`]);
      const tree = join(top, 'tree');
      if (!readdirSync(top).includes('tree')) makeTree();
      const commit = execFileSync('ostree', [
        `--repo=${repo}`,
        'commit',
        '--orphan',
        `--tree=dir=${tree}`,
        '--subject=test',
        '--body=a body, long enough to move the timestamp around',
      ])
        .toString()
        .trim();
      const files = await commitFiles(repo, commit);
      assert.ok(files);
      assert.deepEqual(files.map((f) => `${f.path} ${f.object}`).sort(), ostreeLs(repo, commit));
      assert.equal(files.length, 1500 + 3);
    });
  }

  it('gives undefined for a missing commit and for a corrupt dirtree, never a wrong list', async () => {
    const repo = join(top, 'repo-corrupt');
    execFileSync('ostree', [`--repo=${repo}`, 'init', '--mode=bare']);
    const tree = join(top, 'small');
    mkdirSync(join(tree, 'dir'), { recursive: true });
    writeFileSync(join(tree, 'dir', 'file'), 'content\n');
    const commit = execFileSync('ostree', [`--repo=${repo}`, 'commit', '--orphan', `--tree=dir=${tree}`])
      .toString()
      .trim();
    assert.deepEqual(
      (await commitFiles(repo, commit))?.map((f) => f.path),
      ['dir/file'],
    );
    assert.equal(await commitFiles(repo, 'e'.repeat(64)), undefined);
    // A file name changed in every dirtree ('file' -> 'fild'): same length, parses, but is not the object.
    const objects = join(repo, 'objects');
    for (const sub of readdirSync(objects)) {
      for (const name of readdirSync(join(objects, sub)).filter((n) => n.endsWith('.dirtree'))) {
        const path = join(objects, sub, name);
        const bytes = readFileSync(path);
        const at = bytes.indexOf('file\0');
        if (at >= 0) bytes.write('fild', at);
        writeFileSync(path, bytes);
      }
    }
    assert.equal(await commitFiles(repo, commit), undefined);
  });
});
