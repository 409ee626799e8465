import { MorphError } from '../errors.js';

/**
 * Checks a subcommand got between `min` and `max` arguments (docs/spec/morph.md 1.5).
 * @throws MorphError cli/wrong-arguments naming the command and what it expects
 */
export function expectArguments(
  command: string,
  args: readonly string[],
  min: number,
  max: number,
  expected: string,
): void {
  if (args.length < min || args.length > max) {
    throw new MorphError(
      'cli',
      'wrong-arguments',
      `morph ${command} expects ${expected}, got ${describe(args)}`,
      {
        hint: `see morph help ${command}`,
      },
    );
  }
}

function describe(args: readonly string[]): string {
  if (args.length === 0) return 'no arguments';
  return `${args.length} argument${args.length === 1 ? '' : 's'} (${args.join(' ')})`;
}
