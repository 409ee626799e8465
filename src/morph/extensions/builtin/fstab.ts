/**
 * `fstab` configure extension (docs/spec/morph.md 8): appends the value of every
 * `FSTAB_*` variable, in ascending byte order of the names, to
 * `TREE/etc/fstab` (created if missing), then makes it root-owned, mode 0644.
 */
import { appendFile, chmod, chown, mkdir } from 'node:fs/promises';
import { type BuiltinExtension, type ExtensionContext, runExtensionMain, treePath } from '../api.js';

/** The lines the `FSTAB_*` variables of `env` add, in order. */
export function fstabLines(env: ExtensionContext['env']): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('FSTAB_'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((name) => `${env[name] ?? ''}\n`);
}

export const fstabExtension: BuiltinExtension = {
  name: 'fstab',
  async configure(ctx, tree) {
    await mkdir(treePath(tree, 'etc'), { recursive: true });
    const path = treePath(tree, 'etc/fstab');
    await appendFile(path, fstabLines(ctx.env).join(''));
    await chown(path, 0, 0);
    await chmod(path, 0o644);
  },
};

runExtensionMain(fstabExtension, import.meta.url);
