import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { TEST_GIT_ENV, testBuildApp } from '../../../../test/support/test-build-app.js';
import { runCommand } from '../../../shared/exec.js';
import { SOURCE_DATE_EPOCH } from '../graph/hermetic.js';
import { checkoutSource } from './source-checkout.js';

const env = {
  ...TEST_GIT_ENV,
  GIT_AUTHOR_DATE: '2001-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2001-01-01T00:00:00Z',
};
const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (await runCommand(['git', '-c', 'protocol.file.allow=always', ...args], { cwd, env })).stdout.trim();

async function commitFiles(dir: string, files: Record<string, string>): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'c');
  return git(dir, 'rev-parse', 'HEAD');
}

test('a source checkout is a self-contained working copy at the commit, submodules from the cache', async () => {
  const top = await mkdtemp(join(tmpdir(), 'source-checkout-'));
  try {
    const sub = join(top, 'sub');
    const chunk = join(top, 'chunk');
    for (const dir of [sub, chunk]) await git(top, 'init', '-q', '-b', 'master', dir);
    await commitFiles(sub, { 'inner.txt': 'inner\n' });
    await commitFiles(chunk, { 'file.txt': 'one\n', '.gitignore': 'ignored\n' });
    await git(chunk, 'submodule', 'add', '-q', `file://${sub}`, 'sub');
    await git(chunk, 'config', '-f', '.gitmodules', 'submodule.sub.url', 'tt:sub');
    const wanted = await commitFiles(chunk, { 'dir/two.txt': 'two\n' });
    await commitFiles(chunk, { 'file.txt': 'later\n' });

    const app = testBuildApp(top, { aliasPrefix: 'tt' });

    const build = join(top, 'build');
    await mkdir(build);
    // morph's own umask does not reach the checkout: its files have the modes of umask 0022.
    const umask = process.umask(0o002);
    await checkoutSource(app, 'tt:chunk', wanted, build).finally(() => process.umask(umask));
    assert.equal((await stat(join(build, 'file.txt'))).mode & 0o777, 0o644);
    assert.equal((await stat(join(build, 'dir'))).mode & 0o777, 0o755);
    // Checked before any git command refreshes the index (as `git status` does).
    const index = await runCommand(['git', 'ls-files', '--debug', 'file.txt'], { cwd: build });
    assert.match(index.stdout, /ctime: 0:0\n\s+mtime: 0:0\n\s+dev: 0\s+ino: 0/, 'no stat data in the index');

    assert.equal(await git(build, 'rev-parse', 'HEAD'), wanted);
    assert.equal(await git(build, 'symbolic-ref', '-q', 'HEAD').catch(() => 'detached'), 'detached');
    assert.equal(
      await git(build, 'status', '--porcelain', '--ignored'),
      '',
      'nothing changed, nothing extra',
    );
    assert.equal(await readFile(join(build, 'file.txt'), 'utf8'), 'one\n');
    assert.equal(await readFile(join(build, 'dir', 'two.txt'), 'utf8'), 'two\n');
    assert.equal(await readFile(join(build, 'sub', 'inner.txt'), 'utf8'), 'inner\n');
    // Nothing of this host: names as written, no reflogs, every mtime SOURCE_DATE_EPOCH.
    assert.equal(await git(build, 'config', 'submodule.sub.url'), 'tt:sub', 'the URL as written');
    assert.equal(await git(build, 'remote', 'get-url', 'origin'), 'tt:chunk');
    assert.equal(await git(join(build, 'sub'), 'remote', 'get-url', 'origin'), 'tt:sub');
    await assert.rejects(stat(join(build, '.git', 'logs')), 'no reflogs');
    await assert.rejects(stat(join(build, '.git', 'modules', 'sub', 'logs')), 'no reflogs in submodules');
    for (const path of ['dir/two.txt', 'dir', '.', 'sub/inner.txt', '.git/HEAD']) {
      assert.equal((await stat(join(build, path))).mtimeMs, SOURCE_DATE_EPOCH * 1000, path);
    }
    await assert.rejects(stat(join(build, '.git', 'objects', 'info', 'alternates')), 'no alternates');
    await rm(chunk, { recursive: true });
    assert.equal(await git(build, 'cat-file', '-t', `${wanted}^{tree}`), 'tree', 'objects are its own');
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('a checkout without submodules keeps nothing of this host either', async () => {
  const top = await mkdtemp(join(tmpdir(), 'source-checkout-'));
  try {
    const chunk = join(top, 'chunk');
    await git(top, 'init', '-q', '-b', 'master', chunk);
    const wanted = await commitFiles(chunk, { 'dir/file.txt': 'one\n' });
    const build = join(top, 'build');
    await checkoutSource(testBuildApp(top, { aliasPrefix: 'tt' }), 'tt:chunk', wanted, build);
    assert.equal(await git(build, 'rev-parse', 'HEAD'), wanted);
    assert.equal(await git(build, 'remote', 'get-url', 'origin'), 'tt:chunk');
    await assert.rejects(stat(join(build, '.git', 'logs')), 'no reflogs');
    const index = await runCommand(['git', 'ls-files', '--debug', 'dir/file.txt'], { cwd: build });
    assert.match(index.stdout, /ctime: 0:0\n\s+mtime: 0:0\n\s+dev: 0\s+ino: 0/, 'no stat data in the index');
    for (const path of ['dir/file.txt', 'dir', '.', '.git/HEAD', '.git/config']) {
      assert.equal((await stat(join(build, path))).mtimeMs, SOURCE_DATE_EPOCH * 1000, path);
    }
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('a commit that is not there is a build/source-checkout-failed error', async () => {
  const top = await mkdtemp(join(tmpdir(), 'source-checkout-'));
  try {
    const chunk = join(top, 'chunk');
    await git(top, 'init', '-q', '-b', 'master', chunk);
    await commitFiles(chunk, { 'file.txt': 'one\n' });
    const app = testBuildApp(top);
    await assert.rejects(checkoutSource(app, `file://${chunk}`, 'f'.repeat(40), join(top, 'build')), {
      code: 'build/source-checkout-failed',
    });
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
