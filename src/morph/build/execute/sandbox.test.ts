import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { bwrapArgs, mountPoints, runInSandbox } from './sandbox.js';

test('a chroot sandbox shows its root read-only, entry by entry, with the binds inside', async () => {
  const top = await mkdtemp(join(tmpdir(), 'sandbox-'));
  try {
    const root = join(top, 'root');
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await mkdir(join(root, 'proc'));
    await symlink('usr/bin', join(root, 'bin'));
    await writeFile(join(root, 'file'), '');
    const spec = {
      kind: 'chroot',
      root,
      binds: [{ host: '/s/a.build', inside: '/a.build' }],
      cwd: '/a.build',
    } as const;
    const args = bwrapArgs(spec).join(' ');
    assert.ok(args.includes(`--ro-bind ${root}/usr /usr`), args);
    assert.ok(args.includes(`--ro-bind ${root}/file /file`), args);
    assert.ok(args.includes('--symlink usr/bin /bin'), args);
    assert.ok(!args.includes(`${root}/proc`), 'proc, dev and tmp are mounted afresh');
    assert.ok(args.includes('--bind /s/a.build /a.build'));
    assert.ok(args.includes('--tmpfs /tmp'));
    assert.ok(args.endsWith('--remount-ro / --chdir /a.build'), args);
    assert.deepEqual(mountPoints(spec), [], 'nothing is created in the root');
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('a chroot sandbox can write its binds and /tmp only, and leaves its root untouched', async () => {
  const top = await mkdtemp(join(tmpdir(), 'sandbox-'));
  try {
    // A root with just a shell: the host's dash and the libraries it loads.
    const root = join(top, 'root');
    const dash = execFileSync('sh', ['-c', 'command -v dash'], { encoding: 'utf8' }).trim();
    const libs = execFileSync('ldd', [dash], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const file of [...libs, dash]) {
      await mkdir(join(root, dirname(file)), { recursive: true });
      await copyFile(file, join(root, file));
      await chmod(join(root, file), 0o755);
    }
    await mkdir(join(root, 'bin'), { recursive: true });
    await copyFile(dash, join(root, 'bin/sh'));
    await chmod(join(root, 'bin/sh'), 0o755);
    const before = (await readdir(root)).sort();
    const build = join(top, 'build');
    await mkdir(build);
    const log = join(top, 'log');
    const fd = openSync(log, 'a');
    const spec = {
      kind: 'chroot',
      root,
      binds: [{ host: build, inside: '/x.build' }],
      cwd: '/x.build',
    } as const;
    const run = (command: string) =>
      runInSandbox(spec, command, { PATH: '/usr/bin:/bin' }, { outputFd: fd, scratchDir: top });
    try {
      assert.equal((await run('echo built > out && echo t > /tmp/t')).exitCode, 0);
      assert.notEqual((await run('echo no > /new-file')).exitCode, 0, 'the root is read-only');
      assert.notEqual((await run('echo no > /bin/new-file')).exitCode, 0, 'so are its entries');
    } finally {
      closeSync(fd);
    }
    assert.equal(await readFile(join(build, 'out'), 'utf8'), 'built\n');
    assert.deepEqual((await readdir(root)).sort(), before, 'no mount point was made in the root');
  } finally {
    await rm(top, { recursive: true, force: true });
  }
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

test('a host sandbox with binds shows them at fixed paths over the read-only host', async () => {
  const top = await mkdtemp(join(tmpdir(), 'sandbox-'));
  try {
    const build = join(top, 'build');
    const deps = join(top, 'deps');
    await mkdir(build);
    await mkdir(deps);
    await writeFile(join(deps, 'dep'), 'dep\n');
    const log = join(top, 'log');
    const fd = openSync(log, 'a');
    const spec = {
      kind: 'host',
      writable: [],
      binds: [
        { host: build, inside: '/x.build' },
        { host: deps, inside: '/x.deps', readOnly: true },
      ],
      cwd: '/x.build',
    } as const;
    const run = (command: string) =>
      runInSandbox(spec, command, { PATH: '/usr/bin:/bin' }, { outputFd: fd, scratchDir: top });
    try {
      assert.equal((await run('pwd > out && cat /x.deps/dep >> out && umask >> out')).exitCode, 0);
      assert.notEqual((await run('echo no > /x.deps/new')).exitCode, 0, 'a read-only bind');
      assert.notEqual((await run('echo no > /new-file')).exitCode, 0, 'the root is read-only');
      assert.notEqual((await run('echo no > /usr/.morph-sandbox-test')).exitCode, 0, 'so is the host');
    } finally {
      closeSync(fd);
    }
    assert.equal(await readFile(join(build, 'out'), 'utf8'), '/x.build\ndep\n0022\n');
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});
