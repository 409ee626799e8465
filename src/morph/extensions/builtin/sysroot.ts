/**
 * `sysroot` extension (morph.md 7.2): the system tree moved into a directory.
 * Used stand-alone (`location: test-system`) and nested inside another
 * system (`var/lib/sysroots/<name>`).
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuiltinExtension, ExtensionError, readBoolean, runExtensionMain, runTool } from '../api.js';

export const sysrootExtension: BuiltinExtension = {
  name: 'sysroot',
  async check(ctx, location) {
    if (readBoolean(ctx.env, 'UPGRADE')) {
      throw new ExtensionError('upgrade-unsupported', 'Upgrading a sysroot deployment is not supported.');
    }
    const existing = await stat(location).catch(() => undefined);
    if (existing?.isDirectory()) {
      throw new ExtensionError('location-exists', `${location} already exists; not overwriting it.`);
    }
  },
  async write(ctx, tree, location) {
    await mkdir(location, { recursive: true });
    const entries = await readdir(tree);
    if (entries.length === 0) return;
    ctx.status(`Moving the system into ${location}`);
    // mv, not rename(2): the tree is an overlay mount, so moves cross filesystems.
    await runTool(ctx, ['mv', '-t', location, '--', ...entries.map((e) => join(tree, e))]);
  },
};

runExtensionMain(sysrootExtension, import.meta.url);
