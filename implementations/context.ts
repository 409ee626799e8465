/**
 * Helpers shared by the step modules (HS-7 `context.ts`): paths in the
 * scenario's data directory, commands that must succeed, shell-like word
 * expansion, and typed access to the values steps keep in `ctx.vars`.
 */
import { type RunOptions, type RunResult, type StepContext, StepFailure } from '../src/yarn/api.js';

/** A value kept in `ctx.vars` under a fixed key, with its type. */
export interface VarKey<T> {
  readonly name: string;
  /** Only for typing. */
  readonly type?: T;
}

/** Declares a typed `ctx.vars` key. */
export function varKey<T>(name: string): VarKey<T> {
  return { name };
}

export function getVar<T>(ctx: StepContext, key: VarKey<T>): T | undefined {
  return ctx.vars.get(key.name) as T | undefined;
}

export function setVar<T>(ctx: StepContext, key: VarKey<T>, value: T): void {
  ctx.vars.set(key.name, value);
}

/** The value of `key`, or a step failure saying which step provides it. */
export function requireVar<T>(ctx: StepContext, key: VarKey<T>, providedBy: string): T {
  const value = getVar(ctx, key);
  if (value === undefined) throw new StepFailure(`this step needs "${providedBy}" to have run first`);
  return value;
}

/** Runs a command that must succeed; on failure the step fails showing its output. */
export async function runChecked(
  ctx: StepContext,
  argv: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await ctx.run(argv, options);
  if (result.exitCode !== 0) throw new StepFailure(describeFailure(result));
  return result;
}

/** A multi-line description of a failed command (command, exit code, output tails). */
export function describeFailure(result: RunResult): string {
  const lines = [`command failed with exit code ${result.exitCode}: ${result.command.map(quote).join(' ')}`];
  if (result.stdout.trim()) lines.push('stdout:', tail(result.stdout));
  if (result.stderr.trim()) lines.push('stderr:', tail(result.stderr));
  return lines.join('\n');
}

/**
 * Splits `text` into words as `sh` would (`eval "set -- $text"`), with the
 * scenario environment: quotes, backslashes and `$DATADIR`-style expansions.
 */
export async function shellWords(ctx: StepContext, text: string): Promise<string[]> {
  const result = await ctx.run(
    ['sh', '-c', 'eval "set -- $YARN_WORDS" && for a in "$@"; do printf "%s\\0" "$a"; done'],
    { env: { YARN_WORDS: text } },
  );
  if (result.exitCode !== 0)
    throw new StepFailure(`cannot split into shell words: ${text}\n${result.stderr}`);
  return result.stdout === '' ? [] : result.stdout.replace(/\0$/, '').split('\0');
}

/** Shell-quotes one argument for messages. */
export function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? ['...', ...all.slice(-lines)] : all).join('\n');
}
