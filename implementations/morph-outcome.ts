/**
 * Checks on the outcome of the last attempted morph command: its exit code
 * (`$DATADIR/morph-exit`) and its error output (`$DATADIR/result-<subcommand>`).
 */
import { readFile } from 'node:fs/promises';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';

export default [
  step(
    'THEN',
    /morph failed/,
    'checks that the last attempted morph command exited non-zero',
    async (ctx) => {
      const code = await lastExitCode(ctx);
      check(code !== 0, `morph succeeded but was expected to fail\n${await lastOutput(ctx)}`);
    },
  ),
  step(
    'THEN',
    /morph succeeded/,
    'checks that the last attempted morph command exited with 0',
    async (ctx) => {
      const code = await lastExitCode(ctx);
      check(code === 0, `morph failed with exit code ${code}\n${await lastOutput(ctx)}`);
    },
  ),
  step(
    'THEN',
    /the (\S+) error message includes the string "(.*)"/,
    'checks that $DATADIR/result-SUBCOMMAND (morph SUBCOMMAND stderr) contains the string',
    async (ctx, subcommand, text) => {
      const file = ctx.path(`result-${subcommand}`);
      const stderr = await readFile(file, 'utf8').catch(() => {
        throw new StepFailure(`no morph ${subcommand} has been run (${file} is missing)`);
      });
      check(stderr.includes(text), `morph ${subcommand} stderr does not include "${text}":\n${stderr}`);
    },
  ),
];

async function lastExitCode(ctx: StepContext): Promise<number> {
  const text = await readFile(ctx.path('morph-exit'), 'utf8').catch(() => {
    throw new StepFailure('no morph command has been attempted ($DATADIR/morph-exit is missing)');
  });
  return Number(text.trim());
}

/** The stdout/stderr of the last morph command run by a step, for failure messages. */
async function lastOutput(ctx: StepContext): Promise<string> {
  const run = ctx.lastRun;
  if (!run) return '';
  const tail = (s: string) => s.trimEnd().split('\n').slice(-30).join('\n');
  return `command: ${run.command.join(' ')}\nstdout:\n${tail(run.stdout)}\nstderr:\n${tail(run.stderr)}`;
}
