/**
 * `tar` write extension (docs/spec/morph.md 7.1): `tar -C TREE -cf LOCATION .`, an
 * uncompressed archive whose members start with `./`, reproducible (sorted,
 * numeric owners, mtimes clamped to `SOURCE_DATE_EPOCH`). The check hook ships as
 * portable sh (`morphlib/exts/tar.check`); the same rule is here so that the
 * extension is complete when called from code.
 */
import {
  type BuiltinExtension,
  ExtensionError,
  readBoolean,
  runExtensionMain,
  runTool,
  writeOutputAtomically,
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
    // GNU tar, not node-tar: device nodes, xattrs and absolute symlinks must survive (docs/spec/design.md 4).
    // Written beside the location and renamed when complete: a killed deploy leaves nothing there.
    await writeOutputAtomically(
      ctx.cleanup,
      location,
      (partial) =>
        runTool(ctx, ['tar', ...reproducibleTarOptions(ctx.env), '-C', tree, '-cf', partial, '.']).then(
          () => {},
        ),
      {
        replace: true,
      },
    );
  },
};

/**
 * GNU tar options that make the archive depend only on the tree: entries
 * sorted by name, owners as numbers only, and (when `SOURCE_DATE_EPOCH` is
 * set, as `morph deploy` sets it) no mtime later than it.
 */
export function reproducibleTarOptions(env: Readonly<Record<string, string | undefined>>): string[] {
  const options = ['--sort=name', '--numeric-owner'];
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) options.push(`--mtime=@${epoch}`, '--clamp-mtime');
  return options;
}

runExtensionMain(tarExtension, import.meta.url);
