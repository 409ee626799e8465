/**
 * `nfsboot` configure extension (docs/spec/morph.md 8): with `NFSBOOT_CONFIGURE` set,
 * the network is brought up by the kernel, so `etc/network/interfaces`
 * keeps only the loopback interface.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { type BuiltinExtension, runExtensionMain, treePath } from '../api.js';

export const LOOPBACK_ONLY = 'auto lo\niface lo inet loopback\n';

export const nfsbootExtension: BuiltinExtension = {
  name: 'nfsboot',
  async configure(ctx, tree) {
    if (!ctx.env.NFSBOOT_CONFIGURE) return;
    ctx.status('Configuring the network for NFS boot (loopback only)');
    await mkdir(treePath(tree, 'etc/network'), { recursive: true });
    await writeFile(treePath(tree, 'etc/network/interfaces'), LOOPBACK_ONLY, { mode: 0o644 });
  },
};

runExtensionMain(nfsbootExtension, import.meta.url);
