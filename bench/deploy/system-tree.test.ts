import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateSystemTree } from './system-tree.js';

/** Every path with its type, mode, link count and content checksum. */
function fingerprint(root: string): string {
  return execFileSync(
    'sh',
    [
      '-c',
      'cd "$1" && find . -printf "%p %y %m %n %s %l\\n" | sort && find . -type f -print0 | sort -z | xargs -0 md5sum',
      'fp',
      root,
    ],
    { maxBuffer: 1 << 26 },
  ).toString();
}

test('generateSystemTree is deterministic, has the asked size, symlinks and hard links', () => {
  const top = mkdtempSync(join(tmpdir(), 'system-tree-'));
  try {
    const a = generateSystemTree(join(top, 'a'), { entries: 500, bytes: 2_000_000, seed: 7 });
    const b = generateSystemTree(join(top, 'b'), { entries: 500, bytes: 2_000_000, seed: 7 });
    assert.deepEqual(a, b);
    assert.equal(fingerprint(join(top, 'a')), fingerprint(join(top, 'b')));
    assert.equal(a.symlinks, 15);
    assert.equal(a.hardlinks, 5);
    // 8 MiB kernel + about 2 MB of scaled files.
    assert.ok(a.bytes > 8 * 1024 * 1024 + 1_000_000 && a.bytes < 8 * 1024 * 1024 + 4_000_000, `${a.bytes}`);
    assert.ok(lstatSync(join(top, 'a', 'bin')).isSymbolicLink());
    const files = execFileSync('find', [join(top, 'a'), '-type', 'f', '-links', '+1']).toString();
    assert.ok(files.trim().split('\n').length >= 5);
    const c = generateSystemTree(join(top, 'c'), { entries: 500, bytes: 2_000_000, seed: 8 });
    assert.notEqual(fingerprint(join(top, 'c')), fingerprint(join(top, 'a')));
    assert.ok(c.files > 0);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
