/**
 * Steps for `yarns/building.yarn`: editing definitions in a checkout
 * without committing them, and inspecting what `morph build` printed and
 * left behind.
 */
import { appendFile, copyFile, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { check, StepFailure, step } from '../src/yarn/api.js';
import { definitionsCheckout } from './morph-runner.js';

export default [
  step(
    ['GIVEN', 'WHEN'],
    /in branch (\S+), the morphology (\S+) gets ([\w-]+): (.*)/,
    'appends `KEY: VALUE` (YAML) to a morphology of the definitions checkout; the later key wins',
    async (ctx, branch, file, key, value) => {
      const path = join(definitionsCheckout(ctx, branch), file);
      const text = await readFile(path, 'utf8').catch(() => {
        throw new StepFailure(`cannot read ${path} (is ${dirname(path)} checked out?)`);
      });
      await appendFile(path, `${text.endsWith('\n') ? '' : '\n'}${key}: ${value}\n`);
    },
  ),
  step(
    ['GIVEN', 'WHEN'],
    /in branch (\S+), the morphology (\S+) is copied to (\S+)/,
    'copies a morphology inside the definitions checkout (the copy is never committed)',
    async (ctx, branch, from, to) => {
      const root = definitionsCheckout(ctx, branch);
      await copyFile(join(root, from), join(root, to));
    },
  ),
  step(
    'THEN',
    /the output of morph (\S+) (mentions|does not mention) "(.*)"/,
    'looks for the text anywhere in $DATADIR/out-SUBCOMMAND (status lines, build logs)',
    async (ctx, subcommand, verb, text) => {
      const out = await readFile(ctx.path(`out-${subcommand}`), 'utf8').catch(() => {
        throw new StepFailure(`no morph ${subcommand} has been run`);
      });
      const found = out.includes(text);
      check(
        verb === 'mentions' ? found : !found,
        `morph ${subcommand} output ${found ? 'mentions' : 'does not mention'} "${text}":\n${out}`,
      );
    },
  ),
  step(
    'THEN',
    /(a|no) failed build staging area is kept/,
    'checks $DATADIR/tmp/failed (the tempdir of the suite config) for staging areas',
    async (ctx, which) => {
      const entries = await readdir(ctx.path('tmp', 'failed')).catch(() => [] as string[]);
      check(
        which === 'a' ? entries.length > 0 : entries.length === 0,
        `tmp/failed holds ${entries.length === 0 ? 'nothing' : entries.join(', ')}`,
      );
    },
  ),
];
