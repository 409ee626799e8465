/**
 * `tar` write extension (morph.md 7.1): `tar -C TREE -cf LOCATION .`, an
 * uncompressed archive whose members start with `./`. The check hook ships as
 * portable sh (`morphlib/exts/tar.check`); the same rule is here so that the
 * extension is complete when called from code.
 */
import {
  type BuiltinExtension,
  ExtensionError,
  readBoolean,
  removeSync,
  runExtensionMain,
  runTool,
} from '../api.js';

export const tarExtension: BuiltinExtension = {
  name: 'tar',
  async check(ctx) {
    if (readBoolean(ctx.env, 'UPGRADE')) {
      throw new ExtensionError('upgrade-unsupported', 'Cannot upgrade a tar file deployment.');
    }
  },
  async write(ctx, tree, location) {
    ctx.status(`Writing ${tree} to ${location}`);
    const partial = ctx.cleanup.push(`remove partial ${location}`, () => removeSync(location));
    // GNU tar, not node-tar: device nodes, xattrs and absolute symlinks must survive (design.md 4).
    await runTool(ctx, ['tar', '-C', tree, '-cf', location, '.']).catch((err: unknown) => {
      partial.release();
      throw err;
    });
    partial.forget();
  },
};

runExtensionMain(tarExtension, import.meta.url);
