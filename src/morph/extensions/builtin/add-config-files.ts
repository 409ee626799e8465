/** `add-config-files` configure extension (docs/spec/morph.md 8): copies `SRC_CONFIG_DIR/*` into `TREE/etc`. */
import { mkdir, readdir } from 'node:fs/promises';
import { type BuiltinExtension, ExtensionError, runExtensionMain, runTool, treePath } from '../api.js';

export const addConfigFilesExtension: BuiltinExtension = {
  name: 'add-config-files',
  async configure(ctx, tree) {
    const source = ctx.env.SRC_CONFIG_DIR;
    if (!source) return;
    const entries = await readdir(source).catch((cause: unknown) => {
      throw new ExtensionError('missing-source', `SRC_CONFIG_DIR ${source} cannot be read`, { cause });
    });
    await mkdir(treePath(tree, 'etc'), { recursive: true });
    if (entries.length === 0) return;
    ctx.status(`Copying configuration files from ${source}`);
    await runTool(ctx, ['cp', '-a', '--', `${source}/.`, treePath(tree, 'etc')]);
  },
};

runExtensionMain(addConfigFilesExtension, import.meta.url);
