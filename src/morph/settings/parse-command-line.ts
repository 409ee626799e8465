import { MorphError } from '../errors.js';
import { parseSettingValue } from './parse-setting-value.js';
import { SETTINGS, type SettingSpec, type SettingValue } from './setting-table.js';

/** One option as given on the command line, parsed. */
export interface OptionOccurrence {
  readonly spec: SettingSpec;
  readonly value: SettingValue;
}

/** argv split into options (in order) and positional arguments. */
export interface CommandLine {
  readonly options: readonly OptionOccurrence[];
  /** The subcommand and its arguments. */
  readonly positional: readonly string[];
}

/**
 * Parses morph's argv (without `node` and the script) GNU-style (docs/spec/morph.md 1.2):
 * `--opt=value` and `--opt value`, unique-prefix abbreviations of long
 * options, options anywhere among the positional arguments, `--` ending
 * option parsing, bundled short booleans (`-vq`).
 * @throws MorphError cli/usage for unknown, ambiguous or malformed options
 */
export function parseCommandLine(
  argv: readonly string[],
  table: readonly SettingSpec[] = SETTINGS,
): CommandLine {
  const options: OptionOccurrence[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = findLongOption(name, table);
      if (spec.type === 'bool') {
        if (eq !== -1) throw usage(`--${spec.name} option does not take a value`);
        options.push({ spec, value: true });
        continue;
      }
      let text: string;
      if (eq !== -1) text = arg.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw usage(`--${spec.name} option requires an argument`);
        text = argv[++i]!;
      }
      options.push({ spec, value: parseSettingValue(spec, text, false) });
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = table.find((s) => s.short === letter);
        if (!spec) throw usage(`no such option: -${letter}`);
        if (spec.type === 'bool') {
          options.push({ spec, value: true });
          continue;
        }
        let text = arg.slice(j + 1);
        if (text === '') {
          if (i + 1 >= argv.length) throw usage(`-${letter} option requires an argument`);
          text = argv[++i]!;
        }
        options.push({ spec, value: parseSettingValue(spec, text, false) });
        break;
      }
      continue;
    }
    positional.push(arg);
  }
  return { options, positional };
}

/**
 * Resolves a long option name: an exact name or alias wins, otherwise it must
 * be the prefix of exactly one name (`--no-default-config`).
 */
function findLongOption(name: string, table: readonly SettingSpec[]): SettingSpec {
  const names = table.flatMap((spec) => [spec.name, ...(spec.aliases ?? [])].map((n) => ({ n, spec })));
  const exact = names.find(({ n }) => n === name);
  if (exact) return exact.spec;
  const matches = names.filter(({ n }) => n.startsWith(name));
  const specs = [...new Set(matches.map(({ spec }) => spec))];
  if (name === '' || specs.length === 0) throw usage(`no such option: --${name}`);
  if (specs.length > 1) {
    throw usage(`ambiguous option: --${name} (${matches.map(({ n }) => `--${n}`).join(', ')}?)`);
  }
  return specs[0]!;
}

function usage(message: string): MorphError {
  return new MorphError('cli', 'usage', message, { hint: 'see morph --help' });
}
