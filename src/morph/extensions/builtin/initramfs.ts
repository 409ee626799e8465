/**
 * `initramfs` write extension (docs/spec/morph.md 7.3): the tree as a gzipped newc cpio
 * archive, installed with mode 0644 at LOCATION (parent directories created).
 * Meant for nested use at `boot/initramfs.gz`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BuiltinExtension,
  removeSync,
  runExtensionMain,
  runTool,
  writeOutputAtomically,
} from '../api.js';

// Separate steps rather than one pipeline: dash has no pipefail, and a failed
// stage must fail the extension. find -print0 keeps any byte in file names.
// Reproducible: names sorted, inode and device numbers renumbered, mtimes
// clamped to SOURCE_DATE_EPOCH when set, no name or time in the gzip header.
const PACK = `set -e
if [ -n "\${SOURCE_DATE_EPOCH:-}" ]; then
  find . -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
fi
find . -print0 > "$1/found"
LC_ALL=C sort -z "$1/found" > "$1/list"
cpio -0 -H newc -o --quiet --reproducible < "$1/list" > "$1/initramfs.cpio"
gzip -n -c "$1/initramfs.cpio" > "$1/initramfs.gz"`;

export const initramfsExtension: BuiltinExtension = {
  name: 'initramfs',
  async write(ctx, tree, location) {
    ctx.status(`Creating initramfs at ${location}`);
    // Built in scratch space, not at LOCATION, so a failure leaves nothing there.
    const scratch = await mkdtemp(join(ctx.env.TMPDIR || tmpdir(), 'initramfs-'));
    const cleanup = ctx.cleanup.push(`remove ${scratch}`, () => removeSync(scratch));
    try {
      await runTool(ctx, ['sh', '-c', PACK, 'initramfs', scratch], { cwd: tree });
      await writeOutputAtomically(
        ctx.cleanup,
        location,
        (partial) =>
          runTool(ctx, ['install', '-m644', join(scratch, 'initramfs.gz'), partial]).then(() => {}),
        { replace: true, createParents: true },
      );
    } finally {
      cleanup.release();
    }
  },
};

runExtensionMain(initramfsExtension, import.meta.url);
