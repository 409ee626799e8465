import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  access,
  constants,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILTIN_EXTENSIONS_DIR, findExtension } from './extension-runner.js';

test('every shipped extension is executable and has a compiled module or is sh', async () => {
  const names = (await readdir(BUILTIN_EXTENSIONS_DIR)).filter((n) => /\.(check|configure|write)$/.test(n));
  for (const expected of [
    'tar.check',
    'tar.write',
    'sysroot.write',
    'initramfs.write',
    'rawdisk.write',
    'fstab.configure',
  ]) {
    assert.ok(names.includes(expected), expected);
  }
  for (const name of names) await access(join(BUILTIN_EXTENSIONS_DIR, name), constants.X_OK);
});

test('the definitions checkout wins over the built-ins; a missing check is not an error', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ext-lookup-'));
  try {
    assert.equal((await findExtension(root, 'tar', 'write'))?.fromDefinitions, false);
    await writeFile(join(root, 'tar.write'), '#!/bin/sh\n');
    const local = await findExtension(root, 'tar', 'write');
    assert.equal(local?.fromDefinitions, true);
    assert.equal(local?.path, join(root, 'tar.write'));
    assert.equal(await findExtension(root, 'initramfs', 'check'), undefined);
    assert.equal(await findExtension(root, '../etc/passwd', 'write'), undefined);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a built-in wrapper reached through a symbolic link still finds dist/', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ext-link-'));
  try {
    await symlink(
      join(BUILTIN_EXTENSIONS_DIR, 'set-hostname.configure'),
      join(dir, 'set-hostname.configure'),
    );
    await mkdir(join(dir, 'tree'));
    const result = spawnSync(join(dir, 'set-hostname.configure'), [join(dir, 'tree')], {
      env: { ...process.env, HOSTNAME: 'linked' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(await readFile(join(dir, 'tree', 'etc', 'hostname'), 'utf8'), 'linked\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
