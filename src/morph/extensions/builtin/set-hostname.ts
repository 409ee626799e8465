/** `set-hostname` configure extension (docs/spec/morph.md 8): `HOSTNAME` into `TREE/etc/hostname`. */
import { mkdir, writeFile } from 'node:fs/promises';
import { type BuiltinExtension, runExtensionMain, treePath } from '../api.js';

export const setHostnameExtension: BuiltinExtension = {
  name: 'set-hostname',
  async configure(ctx, tree) {
    const hostname = ctx.env.HOSTNAME;
    if (!hostname) return;
    ctx.status(`Setting hostname to ${hostname}`);
    await mkdir(treePath(tree, 'etc'), { recursive: true });
    await writeFile(treePath(tree, 'etc/hostname'), `${hostname}\n`, { mode: 0o644 });
  },
};

runExtensionMain(setHostnameExtension, import.meta.url);
