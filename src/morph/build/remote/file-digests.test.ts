import assert from 'node:assert/strict';
import { linkSync, lstatSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { digestOf } from './digest.js';
import { FileDigests } from './file-digests.js';

describe('FileDigests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'file-digests-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // Checkouts date every file SOURCE_DATE_EPOCH.
  const epoch = new Date(683078400 * 1000);

  it('hashes again a file whose inode, size and mtime were another content (a reused inode)', async () => {
    const files = new FileDigests();
    const path = join(dir, 'main.c');
    writeFileSync(path, 'int main(void) { return w8_c5(); }\n');
    utimesSync(path, epoch, epoch);
    const first = lstatSync(path);
    assert.deepEqual(
      await files.of(path, first),
      digestOf(Buffer.from('int main(void) { return w8_c5(); }\n')),
    );
    // The staging area goes, and the next checkout's file of the same size gets its inode.
    rmSync(path);
    const content = Buffer.from('int main(void) { return w8_c6(); }\n');
    writeFileSync(path, content);
    utimesSync(path, epoch, epoch);
    const second = { ...lstatSync(path), dev: first.dev, ino: first.ino };
    assert.equal(second.size, first.size);
    assert.equal(second.mtimeMs, first.mtimeMs);
    assert.deepEqual(await files.of(path, second), digestOf(content));
  });

  it('hashes a hard-linked file (an artifact cache object) once', async () => {
    const files = new FileDigests();
    const object = join(dir, 'object');
    writeFileSync(object, Buffer.alloc(1000, 1));
    linkSync(object, join(dir, 'staged'));
    const a = await files.of(object, lstatSync(object));
    const b = await files.of(join(dir, 'staged'), lstatSync(join(dir, 'staged')));
    assert.deepEqual(a, b);
    assert.equal(files.bytesHashed, 1000);
    await files.of(object, lstatSync(object), false);
    assert.equal(files.bytesHashed, 2000);
  });

  it('hashes files of every size right: read at once, streamed', async () => {
    const files = new FileDigests();
    for (const size of [0, 1, 64 * 1024 + 1, 64 * 1024 * 1024, 64 * 1024 * 1024 + 4097]) {
      const content = Buffer.alloc(size, size % 251);
      for (let i = 0; i < size; i += 4096) content[i] = (i / 4096) % 251;
      const path = join(dir, `size-${size}`);
      writeFileSync(path, content);
      assert.deepEqual(await files.hash(path), digestOf(content), `${size} bytes`);
    }
  });
});
