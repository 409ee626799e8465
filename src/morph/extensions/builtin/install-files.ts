/**
 * `install-files` configure extension (docs/spec/morph.md 8): installs the entries of
 * the manifests named in `INSTALL_FILES` (space-separated). Each line is
 * `[overwrite ]<octal mode incl. file type> <uid> <gid> <path>`; files and
 * symlinks are taken from beside the manifest.
 */

import { constants } from 'node:fs';
import { chmod, chown, copyFile, lchown, mkdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lstatIfPresent } from '../../../shared/if-present.js';
import { type BuiltinExtension, ExtensionError, runExtensionMain, treePath } from '../api.js';

/** One manifest line. */
export interface ManifestEntry {
  overwrite: boolean;
  mode: number;
  uid: number;
  gid: number;
  path: string;
}

/**
 * Parses a manifest; blank lines and `#` comments are skipped.
 * @throws ExtensionError `bad-manifest` for a malformed line.
 */
export function parseManifest(text: string): ManifestEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .map((line) => {
      const m = /^(overwrite )?([0-7]+) ([0-9]+) ([0-9]+) (\S+)\s*$/.exec(line.trim());
      if (!m) {
        throw new ExtensionError(
          'bad-manifest',
          `Invalid manifest entry "${line}"; format: [overwrite] <octal mode> <uid decimal> <gid decimal> <filename>`,
        );
      }
      return {
        overwrite: m[1] !== undefined,
        mode: Number.parseInt(m[2]!, 8),
        uid: Number(m[3]),
        gid: Number(m[4]),
        path: m[5]!,
      };
    });
}

async function exists(path: string) {
  return (await lstatIfPresent(path)) !== undefined;
}

async function installEntry(entry: ManifestEntry, manifestRoot: string, tree: string): Promise<void> {
  const dest = treePath(tree, entry.path, { followFinal: false });
  const source = join(manifestRoot, '.', entry.path);
  const type = entry.mode & constants.S_IFMT;
  const permissions = entry.mode & 0o7777;
  if (type === constants.S_IFDIR) {
    const current = await lstatIfPresent(dest);
    if (current && !entry.overwrite) {
      if (current.mode !== entry.mode || current.uid !== entry.uid || current.gid !== entry.gid) {
        throw new ExtensionError(
          'exists',
          `"${dest}" exists and is not identical to directory "${entry.path}"`,
        );
      }
      return;
    }
    await mkdir(dest, { recursive: true });
  } else if (type === constants.S_IFLNK) {
    if ((await exists(dest)) && !entry.overwrite) {
      throw new ExtensionError('exists', `Symlink already exists at ${dest}`);
    }
    const target = await readlink(source);
    await rm(dest, { force: true });
    await symlink(target, dest);
    await lchown(dest, entry.uid, entry.gid);
    return;
  } else if (type === constants.S_IFREG) {
    if ((await exists(dest)) && !entry.overwrite) {
      throw new ExtensionError('exists', `File already exists at ${dest}`);
    }
    await rm(dest, { force: true });
    await copyFile(source, dest);
  } else {
    throw new ExtensionError(
      'bad-manifest',
      `Mode given for "${entry.path}" is not a file, symlink or directory`,
    );
  }
  await chown(dest, entry.uid, entry.gid);
  await chmod(dest, permissions);
}

export const installFilesExtension: BuiltinExtension = {
  name: 'install-files',
  async configure(ctx, tree) {
    const manifests = (ctx.env.INSTALL_FILES ?? '').split(/\s+/).filter((m) => m !== '');
    for (const manifest of manifests) {
      ctx.status(`Installing files from ${manifest}`);
      const text = await readFile(manifest, 'utf8').catch((cause: unknown) => {
        throw new ExtensionError('missing-manifest', `Cannot read manifest ${manifest}`, { cause });
      });
      for (const entry of parseManifest(text)) await installEntry(entry, dirname(manifest), tree);
    }
  },
};

runExtensionMain(installFilesExtension, import.meta.url);
