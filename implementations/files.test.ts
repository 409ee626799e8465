import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeContext, runStepText } from './fake-context.js';
import files from './files.js';
import tarballs from './tarballs.js';

describe('file and tarball steps', () => {
  let datadir: string;
  let ctx: ReturnType<typeof fakeContext>;
  const step = (line: string) => runStepText(ctx, [...files, ...tarballs], line);

  before(async () => {
    datadir = await mkdtemp(join(tmpdir(), 'files-test-'));
    ctx = fakeContext(datadir);
    await mkdir(join(datadir, 'tree', 'var', 'lib'), { recursive: true });
    await writeFile(
      join(datadir, 'tree', 'extlinux.conf'),
      'initrd /systems/default/initramfs\nappend root=UUID=x\n',
    );
    await symlink('var', join(datadir, 'tree', 'default'));
  });
  after(async () => {
    await rm(datadir, { recursive: true, force: true });
  });

  it('checks existence through symlinks', async () => {
    await step('THEN file tree/default/lib exists');
    await step('THEN file tree/missing does not exist');
    await assert.rejects(step('THEN file tree/missing exists'), /does not exist/);
    await assert.rejects(step('THEN file tree/extlinux.conf does not exist'), /exists/);
  });

  it('matches lines like grep -e', async () => {
    await step('THEN file tree/extlinux.conf matches initramfs');
    await step('THEN file tree/extlinux.conf matches root=UUID=');
    await step('THEN file tree/extlinux.conf matches ^append .*x$');
    await assert.rejects(step('THEN file tree/extlinux.conf matches ^initramfs'), /no line matching/);
    await assert.rejects(step('THEN file tree/nothing matches x'), /cannot search/);
  });

  it('finds tarball members by substring', async () => {
    const made = await ctx.run(['tar', '-C', join(datadir, 'tree'), '-cf', join(datadir, 't.tar'), '.']);
    assert.equal(made.exitCode, 0, made.stderr);
    await step('THEN tarball t.tar contains var/lib');
    await step('THEN tarball t.tar contains ./extlinux');
    await step('THEN tarball t.tar does not contain lib/libtest.a');
    await assert.rejects(step('THEN tarball t.tar contains baserock'), /no member/);
    await assert.rejects(step('THEN tarball t.tar does not contain extlinux'), /has/);
  });

  it('removes files, failing on missing ones', async () => {
    await writeFile(join(datadir, 'a'), '');
    await writeFile(join(datadir, 'b'), '');
    await writeFile(join(datadir, 'c'), '');
    await step('GIVEN the files a and b are removed');
    await step('WHEN the file c is removed');
    await step('THEN file a does not exist');
    await step('THEN file c does not exist');
    await assert.rejects(step('GIVEN the file a is removed'), /cannot remove/);
  });
});
