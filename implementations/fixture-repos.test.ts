import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StepContext } from '../src/yarn/api.js';
import { fakeContext } from './fake-context.js';
import { createFixtureRepos, ensureGitIdentity } from './fixture-repos.js';

describe('createFixtureRepos', () => {
  let datadir: string;
  let ctx: StepContext;
  let gits: string;

  const git = async (repo: string, ...args: string[]) => {
    const result = await ctx.run(['git', ...args], { cwd: join(gits, repo) });
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout.trim();
  };

  before(async () => {
    datadir = await mkdtemp(join(tmpdir(), 'fixture-repos-test-'));
    await mkdir(join(datadir, 'HOME'));
    ctx = fakeContext(datadir);
    await ensureGitIdentity(ctx);
    gits = await createFixtureRepos(ctx, 'testarch');
  });
  after(async () => {
    await rm(datadir, { recursive: true, force: true });
  });

  it('makes bootstrap-chunk with a source branch and a prebuilt static shell on master', async () => {
    assert.equal(
      await git('bootstrap-chunk', 'ls-tree', '--name-only', 'bootstrap'),
      'Makefile\nconfigure\ntest-shell.c',
    );
    assert.equal(
      await git('bootstrap-chunk', 'ls-tree', '-r', 'master'),
      await lsTreeLine('bootstrap-chunk'),
    );
    assert.equal(await git('bootstrap-chunk', 'rev-parse', '--abbrev-ref', 'HEAD'), 'master');
    const readelf = await ctx.run(['readelf', '-l', join(gits, 'bootstrap-chunk', 'bin', 'sh')]);
    assert.equal(readelf.exitCode, 0);
    assert.doesNotMatch(readelf.stdout, /INTERP/, 'statically linked');
  });

  async function lsTreeLine(repo: string): Promise<string> {
    const blob = await git(repo, 'rev-parse', 'master:bin/sh');
    return `100755 blob ${blob}\tbin/sh`;
  }

  it('makes test-chunk with files for every default split rule', async () => {
    const files = (await git('test-chunk', 'ls-files')).split('\n');
    for (const path of [
      'usr/bin/test',
      'usr/sbin/test',
      'usr/lib/libtest.so',
      'usr/lib64/libtest.so.0.0.0',
      'usr/lib32/libtest.a',
      'usr/lib/libtest.la',
      'usr/lib/pkgconfig/test.pc',
      'usr/share/pkgconfig/test-data.pc',
      'usr/libexec/test-bin',
      'usr/include/test.h',
      'usr/share/man/man3/test.3.gz',
      'usr/share/info/test.info.gz',
      'usr/share/doc/test/doc.html',
      'usr/share/locale/en_GB/LC_MESSAGES/test.mo',
      'usr/share/i18n/locales/en_GB',
      'usr/share/zoneinfo/UTC',
      'etc/test.d/test.conf',
    ]) {
      assert.ok(files.includes(path), path);
    }
    assert.match(await readFile(join(gits, 'test-chunk', 'usr/libexec/test-bin'), 'utf8'), /Hello/);
  });

  it('makes morphs with the architecture and chunk SHAs filled in, and tag test-tag', async () => {
    const system = await readFile(join(gits, 'morphs', 'systems', 'test-system.morph'), 'utf8');
    assert.match(system, /^arch: testarch$/m);
    const essential = await readFile(join(gits, 'morphs', 'strata', 'build-essential.morph'), 'utf8');
    assert.match(essential, new RegExp(`ref: ${await git('bootstrap-chunk', 'rev-parse', 'bootstrap')}\\n`));
    assert.match(essential, new RegExp(`ref: ${await git('bootstrap-chunk', 'rev-parse', 'master')}\\n`));
    const core = await readFile(join(gits, 'morphs', 'strata', 'core.morph'), 'utf8');
    assert.match(core, new RegExp(`ref: ${await git('test-chunk', 'rev-parse', 'master')}\\n`));
    assert.equal(await git('morphs', 'status', '--porcelain'), '', 'everything committed');
    assert.equal(await git('morphs', 'cat-file', '-t', 'test-tag'), 'tag');
    const all = await git('morphs', 'grep', '-c', '@', 'HEAD', '--', '*.morph').catch(() => '');
    assert.equal(all, '', 'no placeholder left');
  });

  it('builds and installs the shell from the bootstrap branch with make', async () => {
    const work = join(datadir, 'stage1');
    assert.equal(
      (await ctx.run(['git', 'clone', '-q', '-b', 'bootstrap', join(gits, 'bootstrap-chunk'), work]))
        .exitCode,
      0,
    );
    assert.equal((await ctx.run(['./configure', '--prefix=/usr'], { cwd: work })).exitCode, 0);
    const make = await ctx.run(['make'], { cwd: work });
    assert.equal(make.exitCode, 0, make.stderr);
    const install = await ctx.run(['make', `DESTDIR=${join(datadir, 'inst')}`, 'install'], { cwd: work });
    assert.equal(install.exitCode, 0, install.stderr);
    assert.ok((await stat(join(datadir, 'inst', 'bin', 'sh'))).mode & 0o100);
  });

  describe('the test shell', () => {
    const sh = () => join(gits, 'bootstrap-chunk', 'bin', 'sh');

    it('echoes words, quoting and expanding like sh', async () => {
      const result = await ctx.run([sh(), '-c', `echo a  "b  c" 'd $X' "$X" \${X}`], { env: { X: 'x' } });
      assert.deepEqual([result.exitCode, result.stdout], [0, 'a b  c d $X x x\n']);
    });

    it('copies the current directory into $DESTDIR with `copy files`', async () => {
      const dest = join(datadir, 'copied');
      const result = await ctx.run([sh(), '-c', 'copy files'], {
        cwd: join(gits, 'test-chunk'),
        env: { DESTDIR: dest },
      });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.ok((await stat(join(dest, 'usr', 'bin', 'test'))).mode & 0o100, 'modes kept');
      assert.ok((await stat(join(dest, '.git', 'HEAD'))).isFile(), '.git copied too');
    });

    it('runs a system-integration script that creates /etc/passwd-like files', async () => {
      const script = join(datadir, 'integration');
      const target = join(datadir, 'root', 'etc', 'passwd');
      await writeFile(script, `#!/bin/sh\nset -xeu\ncreate file ${target} root:x:0:0:root:/root:/bin/sh\n`);
      const result = await ctx.run([sh(), script]);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(await readFile(target, 'utf8'), 'root:x:0:0:root:/root:/bin/sh\n');
    });

    it('stops at the first failing command and rejects unknown ones', async () => {
      const failed = await ctx.run([sh(), '-c', 'false\necho not reached']);
      assert.deepEqual([failed.exitCode, failed.stdout], [1, '']);
      const unknown = await ctx.run([sh(), '-c', 'ls /']);
      assert.equal(unknown.exitCode, 127);
      assert.match(unknown.stderr, /ls: not found/);
    });
  });
});
