import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArtifactCache } from '../../cache/artifact-cache.js';
import { ArtifactDigests } from './artifact-digests.js';
import { digestOf } from './digest.js';
import { FileDigests } from './file-digests.js';
import { TreeDigestMemo } from './tree-digest-memo.js';

describe('ArtifactDigests (a real OSTree repository)', () => {
  const top = mkdtempSync(join(tmpdir(), 'artifact-digests-test-'));
  after(() => rmSync(top, { recursive: true, force: true }));
  let cache: ArtifactCache;
  const commits: Record<string, string> = {};

  /** Commits `files` (path -> content) and `links` (path -> target) as the artifact `name`. */
  async function artifact(
    name: string,
    files: Record<string, string>,
    links: Record<string, string> = {},
  ): Promise<string> {
    const dir = join(top, 'trees', name);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    for (const [path, target] of Object.entries(links)) symlinkSync(target, join(dir, path));
    return cache.commitTree(dir, `artifacts/00/chunk/${name}`, { subject: name });
  }

  before(async () => {
    cache = await ArtifactCache.open(join(top, 'cache'));
    commits.base = await artifact('base', {
      'usr/bin/tool': 'tool v1\n',
      'usr/share/doc/a file with spaces': 'doc\n',
      'etc/conf': 'shared\n',
    });
    commits.over = await artifact(
      'over',
      { 'usr/bin/tool': 'tool v2, longer\n', 'usr/lib/libx.so.1': 'x' },
      { 'usr/lib/libx.so': 'libx.so.1' },
    );
    commits.newline = await artifact('newline', { 'usr/bin/a\nb': 'odd\n' });
  });

  const digests = (memoDir: string) => {
    const files = new FileDigests();
    return { files, digests: new ArtifactDigests(cache.repoPath, new TreeDigestMemo(memoDir), files) };
  };

  it("gives each path the digest of the last commit's file, hashes each object once and memoises every commit", async () => {
    const memo = join(top, 'memo-1');
    const { files, digests: one } = digests(memo);
    const union = await one.union([commits.base as string, commits.over as string]);
    const content = (text: string) => digestOf(Buffer.from(text));
    assert.deepEqual(
      union,
      new Map([
        ['etc/conf', content('shared\n')],
        ['usr/bin/tool', content('tool v2, longer\n')],
        ['usr/lib/libx.so.1', content('x')],
        ['usr/share/doc/a file with spaces', content('doc\n')],
      ]),
    );
    assert.equal(files.bytesHashed, 'tool v1\n'.length + 'doc\n'.length + 'shared\n'.length + 16 + 1);
    assert.deepEqual(one.counts, { memoised: 0, computed: 2 });
    // The content of a listed object can be read from the repository.
    assert.equal(readFileSync(one.localContent(content('x').hash) as string, 'utf8'), 'x');

    // A later run: everything from the memo, nothing read.
    const { files: again, digests: two } = digests(memo);
    assert.deepEqual(await two.union([commits.base as string, commits.over as string]), union);
    assert.equal(again.bytesHashed, 0);
    assert.deepEqual(two.counts, { memoised: 2, computed: 0 });
  });

  it('trusts nothing of a list with a commit it cannot list', async () => {
    const { digests: one } = digests(join(top, 'memo-2'));
    assert.deepEqual(
      await one.union([commits.newline as string]),
      new Map([['usr/bin/a\nb', digestOf(Buffer.from('odd\n'))]]),
    );
    assert.equal(await one.union([commits.base as string, 'f'.repeat(64)]), undefined);
    assert.deepEqual(one.counts, { memoised: 0, computed: 2 });
  });

  it('loads preloaded commits once: a later union hashes nothing more', async () => {
    const { files, digests: one } = digests(join(top, 'memo-3'));
    await one.preload([commits.base as string]);
    assert.deepEqual(one.counts, { memoised: 0, computed: 1 });
    const hashed = files.bytesHashed;
    assert.ok(hashed > 0);
    await one.union([commits.base as string]);
    assert.deepEqual(one.counts, { memoised: 0, computed: 1 });
    assert.equal(files.bytesHashed, hashed);
  });
});
