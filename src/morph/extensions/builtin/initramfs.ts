/**
 * `initramfs` write extension (morph.md 7.3): the tree as a gzipped newc cpio
 * archive, installed with mode 0644 at LOCATION (parent directories created).
 * Meant for nested use at `boot/initramfs.gz`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BuiltinExtension, removeSync, runExtensionMain, runTool } from '../api.js';

// Three steps rather than one pipeline: dash has no pipefail, and a failed
// stage must fail the extension. find -print0 keeps any byte in file names.
const PACK = `set -e
find . -print0 > "$1/list"
cpio -0 -H newc -o --quiet < "$1/list" > "$1/initramfs.cpio"
gzip -c "$1/initramfs.cpio" > "$1/initramfs.gz"`;

export const initramfsExtension: BuiltinExtension = {
  name: 'initramfs',
  async write(ctx, tree, location) {
    ctx.status(`Creating initramfs at ${location}`);
    // Built in scratch space, not at LOCATION, so a failure leaves nothing there.
    const scratch = await mkdtemp(join(ctx.env.TMPDIR || tmpdir(), 'initramfs-'));
    const cleanup = ctx.cleanup.push(`remove ${scratch}`, () => removeSync(scratch));
    try {
      await runTool(ctx, ['sh', '-c', PACK, 'initramfs', scratch], { cwd: tree });
      await runTool(ctx, ['install', '-D', '-m644', join(scratch, 'initramfs.gz'), resolve(location)]);
    } finally {
      cleanup.release();
    }
  },
};

runExtensionMain(initramfsExtension, import.meta.url);
