import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dumpSettings } from './dump-settings.js';
import { loadSettings } from './load-settings.js';

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), 'morph-settings-'));
  const home = join(root, 'home');
  const etc = join(root, 'etc');
  mkdirSync(home);
  mkdirSync(join(etc, 'morph'), { recursive: true });
  return { root, home, etc, where: { env: { HOME: home }, cwd: root, cpus: 2, etc } };
}

describe('loadSettings', () => {
  it('derives the defaults of docs/spec/morph.md 1.3', async () => {
    const { home, where } = sandbox();
    const { settings, positional } = await loadSettings(['print-architecture'], where);
    assert.deepEqual(positional, ['print-architecture']);
    assert.equal(settings.cachedir, join(home, '.cache', 'morph'));
    assert.equal(settings.tempdir, '/tmp/morph_tmp');
    assert.equal(settings['compiler-cache-dir'], join(home, '.cache', 'morph', 'ccache'));
    assert.equal(settings['cache-server'], 'http://git.baserock.org:8080/');
    assert.equal(settings['artifact-cache-server'], 'http://git.baserock.org:8080/');
    assert.equal(settings['tarball-server'], 'http://git.baserock.org/tarballs/');
    assert.equal(settings['build-ref-prefix'], 'baserock/builds');
    assert.equal(settings['max-jobs'], 3);
    assert.equal(settings['no-distcc'], true);
    assert.equal(settings['local-changes'], 'include');
    assert.equal(settings['union-filesystem'], 'overlayfs');
    assert.equal(settings['tempdir-min-space'], 4 * 1024 ** 3);
  });

  it('reads default configs, then --config files, then the command line', async () => {
    const { root, home, etc, where } = sandbox();
    writeFileSync(join(etc, 'morph.conf'), '[config]\ntrove-host = etc-host\nmax-jobs = 5\n');
    writeFileSync(join(etc, 'morph', 'z.conf'), '[config]\nmax-jobs = 6\n');
    writeFileSync(join(home, '.morph.conf'), '[config]\nno-git-update = yes\n');
    const extra = join(root, 'morph.conf');
    writeFileSync(extra, '[config]\ncachedir = cache\ntrove-id = foo, bar\nunknown-key = 1\n');
    const { settings } = await loadSettings(['--config', extra, '--max-jobs=9', 'x'], where);
    assert.equal(settings['trove-host'], 'etc-host');
    assert.equal(settings['max-jobs'], 9);
    assert.equal(settings['no-git-update'], true);
    assert.equal(settings.cachedir, join(root, 'cache'));
    assert.deepEqual(settings['trove-id'], ['foo', 'bar']);
    assert.equal(settings['build-ref-prefix'], 'foo/builds');
    assert.equal(settings['cache-server'], 'http://etc-host:8080/');
  });

  it('skips default configs with an abbreviated --no-default-config', async () => {
    const { etc, where } = sandbox();
    writeFileSync(join(etc, 'morph.conf'), '[config]\ntrove-host = etc-host\n');
    const { settings } = await loadSettings(['--no-default-config', '--config=/nonexistent', 'x'], where);
    assert.equal(settings['trove-host'], 'git.baserock.org');
  });

  it("derives servers from the suites' trove-host = []", async () => {
    const { root, where } = sandbox();
    writeFileSync(join(root, 'm.conf'), '[config]\ntrove-host= []\n');
    const { settings } = await loadSettings(
      ['--no-default-configs', '--config', join(root, 'm.conf')],
      where,
    );
    assert.equal(settings['tarball-server'], 'http://[]/tarballs/');
  });

  it('lets the command line replace a config list, then add to it', async () => {
    const { root, where } = sandbox();
    writeFileSync(join(root, 'm.conf'), '[config]\nrepo-alias = a=x#y\n');
    const args = ['--no-default-configs', '--config', join(root, 'm.conf')];
    assert.deepEqual((await loadSettings(args, where)).settings['repo-alias'], ['a=x#y']);
    const more = [...args, '--repo-alias', 'b=1#2', '--repo-alias', 'c=3#4'];
    assert.deepEqual((await loadSettings(more, where)).settings['repo-alias'], ['b=1#2', 'c=3#4']);
  });

  it('rejects a bad value in a config file with its location', async () => {
    const { root, where } = sandbox();
    writeFileSync(join(root, 'm.conf'), '[config]\nmax-jobs = lots\n');
    await assert.rejects(loadSettings(['--config', join(root, 'm.conf')], where), {
      code: 'config/bad-value',
      location: { file: join(root, 'm.conf'), line: 2 },
    });
  });

  it('rejects a tarball server that is not a URL', async () => {
    const { where } = sandbox();
    await assert.rejects(loadSettings(['--tarball-server=ftp://x/'], where), { code: 'config/not-a-url' });
    await assert.rejects(loadSettings(['--tarball-server=http:///x'], where), { code: 'config/not-a-url' });
    await loadSettings(['--tarball-server=file:///srv/tarballs/'], where);
  });

  it('dumps every setting as a [config] file', async () => {
    const { where } = sandbox();
    const text = dumpSettings(
      (await loadSettings(['--no-distcc', '--trove-id=a', '--trove-id=b'], where)).settings,
    );
    assert.match(text, /^\[config\]\n/);
    assert.match(text, /^no-distcc = True$/m);
    assert.match(text, /^verbose = False$/m);
    assert.match(text, /^trove-id = a, b$/m);
    assert.doesNotMatch(text, /^help = /m);
  });
});
