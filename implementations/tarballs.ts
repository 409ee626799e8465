/** Steps that inspect tar archives in the scenario's data directory. */
import { check, step } from '../src/yarn/api.js';
import { runChecked } from './context.js';

export default [
  step(
    'THEN',
    /tarball (\S+) contains (\S+)/,
    'checks that a member name of the tarball $DATADIR/PATH includes the text (tar -t | grep -F)',
    async (ctx, tarball, text) => {
      const members = (await runChecked(ctx, ['tar', '-tf', ctx.path(tarball)])).stdout.split('\n');
      check(
        members.some((member) => member.includes(text)),
        `no member of ${tarball} includes ${text}`,
      );
    },
  ),
  step(
    'THEN',
    /tarball (\S+) does not contain (\S+)/,
    'checks that no member name of the tarball $DATADIR/PATH includes the text',
    async (ctx, tarball, text) => {
      const members = (await runChecked(ctx, ['tar', '-tf', ctx.path(tarball)])).stdout.split('\n');
      const found = members.filter((member) => member.includes(text));
      check(found.length === 0, `${tarball} has ${found.join(', ')}`);
    },
  ),
];
