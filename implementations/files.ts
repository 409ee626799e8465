/** Steps about files in the scenario's data directory (paths are relative to $DATADIR). */
import { rm, stat } from 'node:fs/promises';
import { check, StepFailure, step } from '../src/yarn/api.js';

export default [
  step(['THEN', 'ASSUMING'], /file (\S+) exists/, 'checks that $DATADIR/PATH exists', async (ctx, path) => {
    check(await exists(ctx.path(path)), `${path} does not exist`);
  }),
  step(
    ['THEN', 'ASSUMING'],
    /file (\S+) does not exist/,
    'checks that $DATADIR/PATH does not exist',
    async (ctx, path) => {
      check(!(await exists(ctx.path(path))), `${path} exists`);
    },
  ),
  step(
    ['THEN', 'ASSUMING'],
    /file (\S+) matches (.+)/,
    'checks that a line of $DATADIR/PATH matches the regular expression (grep -e)',
    async (ctx, path, regex) => {
      const result = await ctx.run(['grep', '-q', '-e', regex, ctx.path(path)]);
      if (result.exitCode > 1) throw new StepFailure(`cannot search ${path}: ${result.stderr}`);
      check(result.exitCode === 0, `${path} has no line matching ${regex}`);
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the files (\S+) and (\S+) are removed/,
    'removes two files (or directories) from $DATADIR',
    async (ctx, first, second) => {
      await remove(ctx.path(first));
      await remove(ctx.path(second));
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /the file (\S+) is removed/,
    'removes a file (or directory) from $DATADIR',
    async (ctx, path) => {
      await remove(ctx.path(path));
    },
  ),
];

/** Like `test -e`: follows symlinks. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function remove(path: string): Promise<void> {
  await rm(path, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new StepFailure(`cannot remove ${path}: ${err.code ?? err.message}`);
  });
}
