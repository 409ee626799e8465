import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { digestOf } from './digest.js';
import { type MemoFile, TreeDigestMemo } from './tree-digest-memo.js';

const COMMIT = 'a'.repeat(64);

/** `count` files of distinct contents (an artifact's tree). */
function filesOf(count: number, seed = ''): MemoFile[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `usr/lib/file-${i}`,
    object: digestOf(Buffer.from(`object ${seed}${i}`)).hash,
    digest: digestOf(Buffer.from(`content ${seed}${i}`)),
  }));
}

describe('TreeDigestMemo', () => {
  const top = mkdtempSync(join(tmpdir(), 'tree-digest-memo-test-'));
  after(() => rmSync(top, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => new TreeDigestMemo(join(top, `memo-${n++}`));

  it('has nothing for a commit never written (a miss)', async () => {
    const memo = fresh();
    assert.equal(await memo.read(COMMIT), undefined);
    assert.equal(memo.corrupt, 0);
  });

  it('gives back what was written, in another instance (a hit, as in a later morph run)', async () => {
    const memo = fresh();
    const files = [...filesOf(3), { ...(filesOf(1, 'x')[0] as MemoFile), path: 'a name\nwith a newline' }];
    await memo.write(COMMIT, files);
    assert.deepEqual(await new TreeDigestMemo(memo.dir).read(COMMIT), files);
    assert.equal(await memo.read('b'.repeat(64)), undefined);
  });

  it('refuses a torn, altered, misplaced or malformed entry, and a new write replaces it', async () => {
    const memo = fresh();
    const files = filesOf(50);
    await memo.write(COMMIT, files);
    const path = join(memo.dir, COMMIT);
    const whole = readFileSync(path, 'utf8');
    const bad = [
      whole.slice(0, whole.length / 2), // torn: a kill -9 of a writer without the rename
      whole.replace('file-7"', 'file-8"'), // one path altered, the checksum line kept
      '', // empty
      `${'0'.repeat(64)}\n${whole.slice(65)}`, // wrong checksum
      whole.slice(65), // no checksum line
    ];
    // Misplaced: another commit's whole entry under this name.
    const other = fresh();
    await other.write('c'.repeat(64), files);
    bad.push(readFileSync(join(other.dir, 'c'.repeat(64)), 'utf8'));
    // Well checksummed but not an entry: wrong format, digests not hex, negative size.
    const sealed = (body: string) => `${digestOf(Buffer.from(body)).hash}\n${body}`;
    bad.push(sealed(JSON.stringify({ format: 2, commit: COMMIT, files: [] })));
    bad.push(sealed(JSON.stringify({ format: 1, commit: COMMIT, files: [['p', 'x', 'y', 1]] })));
    bad.push(sealed(JSON.stringify({ format: 1, commit: COMMIT, files: [['p', COMMIT, COMMIT, -1]] })));
    for (const [i, text] of bad.entries()) {
      writeFileSync(path, text);
      assert.equal(await memo.read(COMMIT), undefined, `bad entry ${i} was trusted`);
    }
    assert.equal(memo.corrupt, bad.length);
    await memo.write(COMMIT, files);
    assert.deepEqual(await memo.read(COMMIT), files);
  });

  it('stays whole under concurrent writers in several processes, and readers never see a torn entry', async () => {
    const memo = fresh();
    const files = filesOf(3000);
    const module = fileURLToPath(new URL('./tree-digest-memo.js', import.meta.url));
    const digestModule = fileURLToPath(new URL('./digest.js', import.meta.url));
    // Each writer process writes the same commit's entry 20 times, as morph runs sharing a cache would.
    const script = `
      const { TreeDigestMemo } = await import(${JSON.stringify(module)});
      const { digestOf } = await import(${JSON.stringify(digestModule)});
      const files = Array.from({ length: 3000 }, (_, i) => ({
        path: 'usr/lib/file-' + i,
        object: digestOf(Buffer.from('object ' + i)).hash,
        digest: digestOf(Buffer.from('content ' + i)),
      }));
      const memo = new TreeDigestMemo(${JSON.stringify(memo.dir)});
      for (let i = 0; i < 20; i++) await memo.write(${JSON.stringify(COMMIT)}, files);
    `;
    const writers = Array.from(
      { length: 4 },
      () =>
        new Promise<number | null>((resolve) =>
          spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' }).on(
            'exit',
            resolve,
          ),
        ),
    );
    let reads = 0;
    let done = false;
    const reader = (async () => {
      while (!done) {
        const got = await memo.read(COMMIT);
        if (got) {
          assert.deepEqual(got, files);
          reads++;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    assert.deepEqual(await Promise.all(writers), [0, 0, 0, 0]);
    done = true;
    await reader;
    assert.equal(memo.corrupt, 0);
    assert.ok(reads > 0, 'the reader never saw the entry');
    assert.deepEqual(readdirSync(memo.dir), [COMMIT]);
  });

  it("removes the temporary file of a writer killed before its rename, not a live writer's", async () => {
    const memo = fresh();
    await memo.write(COMMIT, filesOf(1));
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(join(memo.dir, `.tmp-p${dead.pid}-0123456789ab`), 'half an entry');
    writeFileSync(join(memo.dir, `.tmp-p${process.pid}-0123456789ab`), 'being written');
    await new TreeDigestMemo(memo.dir).write('d'.repeat(64), filesOf(1));
    assert.deepEqual(readdirSync(memo.dir).sort(), [
      `.tmp-p${process.pid}-0123456789ab`,
      COMMIT,
      'd'.repeat(64),
    ]);
  });
});
