import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bwrapArgs, mountPoints, runInSandbox } from './sandbox.js';

test('a chroot sandbox binds the root read-only and the writable dirs inside it', () => {
  const spec = {
    kind: 'chroot',
    root: '/s',
    writable: ['/s/a.build', '/s/a.inst'],
    cwd: '/a.build',
  } as const;
  const args = bwrapArgs(spec);
  assert.deepEqual(args.slice(args.indexOf('--ro-bind'), args.indexOf('--ro-bind') + 3), [
    '--ro-bind',
    '/s',
    '/',
  ]);
  assert.ok(args.join(' ').includes('--bind /s/a.build /a.build --bind /s/a.inst /a.inst'));
  assert.ok(args.join(' ').includes('--tmpfs /tmp'));
  assert.deepEqual(mountPoints(spec), ['/s/proc', '/s/dev', '/s/tmp', '/s/a.build', '/s/a.inst']);
  assert.throws(() => bwrapArgs({ ...spec, writable: ['/elsewhere'] }));
});

test('byte-string commands reach sh unchanged; the host is read-only outside writable dirs', async () => {
  const top = await mkdtemp(join(tmpdir(), 'sandbox-'));
  try {
    const work = join(top, 'work');
    await mkdir(work);
    await writeFile(join(top, 'outside'), 'keep');
    const log = join(top, 'log');
    const fd = openSync(log, 'a');
    try {
      const spec = { kind: 'host', writable: [work], cwd: work } as const;
      const env = { PATH: '/usr/bin:/bin' };
      const bytes = Buffer.concat([Buffer.from('printf "\\377x" > out; echo "$PATH"; pwd')]);
      const ok = await runInSandbox(spec, bytes, env, { outputFd: fd, scratchDir: top });
      assert.equal(ok.exitCode, 0);
      const raw = Buffer.concat([Buffer.from('echo '), Buffer.from([0xff, 0xfe]), Buffer.from(' > raw')]);
      assert.equal((await runInSandbox(spec, raw, env, { outputFd: fd, scratchDir: top })).exitCode, 0);
      // /tmp is writable in host mode (as the original allowed); /usr is not.
      const denied = await runInSandbox(spec, 'echo no > /usr/.morph-sandbox-test', env, {
        outputFd: fd,
        scratchDir: top,
      });
      assert.notEqual(denied.exitCode, 0);
      const exit = await runInSandbox(spec, 'exit 7', env, { outputFd: fd, scratchDir: top });
      assert.equal(exit.exitCode, 7, 'the exit code of the command itself, not of xargs');
    } finally {
      closeSync(fd);
    }
    assert.deepEqual(await readFile(join(work, 'out')), Buffer.from([0xff, 0x78]));
    assert.deepEqual(await readFile(join(work, 'raw')), Buffer.from([0xff, 0xfe, 0x0a]));
    assert.equal(await readFile(join(top, 'outside'), 'utf8'), 'keep');
    assert.match(await readFile(log, 'utf8'), new RegExp(`/usr/bin:/bin\\n${work}\\n`));
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
