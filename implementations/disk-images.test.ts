import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import diskImages from './disk-images.js';
import { fakeContext, runStepText } from './fake-context.js';

const isRoot = process.getuid?.() === 0;

async function isMounted(path: string): Promise<boolean> {
  return (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .some((line) => line.split(' ')[1] === path);
}

describe('disk image steps', () => {
  let datadir: string;
  let ctx: ReturnType<typeof fakeContext>;
  const step = (line: string) => runStepText(ctx, diskImages, line);

  before(async () => {
    datadir = await mkdtemp(join(tmpdir(), 'disk-images-test-'));
    ctx = fakeContext(datadir);
  });
  after(async () => {
    for (const cleanup of ctx.cleanups.reverse()) await cleanup();
    await rm(datadir, { recursive: true, force: true });
  });

  it('assumes space only when there is enough', async () => {
    await step('ASSUMING there is space for 2 1M disk images');
    await step('ASSUMING there is space for 1 512 disk image');
    await assert.rejects(step('ASSUMING there is space for 1000 1024T disk images'), /bytes free/);
  });

  it('mounts a btrfs image at its top level and unmounts it', { skip: !isRoot && 'needs root' }, async () => {
    const image = join(datadir, 'disk.img');
    assert.equal((await ctx.run(['truncate', '-s', '128M', image])).exitCode, 0);
    const mkfs = await ctx.run(['mkfs.btrfs', '-q', '-f', image]);
    assert.equal(mkfs.exitCode, 0, mkfs.stderr);
    // Make a subvolume the default, as a deployed system might: the step must still show the top.
    await step('WHEN disk image disk.img is mounted at mnt');
    assert.ok(await isMounted(join(datadir, 'mnt')));
    assert.equal((await ctx.run(['btrfs', 'subvolume', 'create', join(datadir, 'mnt', 'sub')])).exitCode, 0);
    await ctx.run(['touch', join(datadir, 'mnt', 'top-file')]);
    const id =
      (await ctx.run(['btrfs', 'subvolume', 'list', join(datadir, 'mnt')])).stdout.split(' ')[1] ?? '';
    assert.equal(
      (await ctx.run(['btrfs', 'subvolume', 'set-default', id, join(datadir, 'mnt')])).exitCode,
      0,
    );
    await step('FINALLY mnt is unmounted');
    assert.ok(!(await isMounted(join(datadir, 'mnt'))));

    await step('WHEN disk image disk.img is mounted at mnt');
    const top = await ctx.run(['test', '-e', join(datadir, 'mnt', 'top-file')]);
    assert.equal(top.exitCode, 0, 'the top-level subvolume is mounted, not the default one');
    // Not unmounted by a step: the deferred cleanup does it.
    assert.equal(ctx.cleanups.length, 1);
    await ctx.cleanups[0]?.();
    assert.ok(!(await isMounted(join(datadir, 'mnt'))));
    // After a failure before the mount, the FINALLY step has nothing to do.
    await step('FINALLY mnt is unmounted');
  });
});
