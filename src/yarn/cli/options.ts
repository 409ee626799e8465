/**
 * The command-line options, declared once in a table that drives parsing
 * (HS-3 / mkosi style). Accepts the reference's (cliapp) syntax: `--opt=V`,
 * `--opt V`, `-rNAME`, `-r NAME`, bundled short booleans (`-qn`), `--no-X`
 * twins of every boolean, `--` to end options.
 */
import { YarnError } from '../errors.js';

type Kind = 'bool' | 'string' | 'list';

interface OptionSpec {
  readonly names: readonly string[];
  readonly key: string;
  readonly kind: Kind;
  readonly metavar?: string;
  readonly help: string;
  /** Rejects a bad value (a USAGE error naming the option); parseArgs calls it. */
  readonly check?: (value: string) => string | undefined;
}

/** The values `--format` takes. */
export const REPORT_FORMATS = ['tap', 'junit', 'json', 'html'] as const;

const positiveSeconds =
  (name: string) =>
  (value: string): string | undefined => {
    const n = Number(value);
    return Number.isFinite(n) && n > 0
      ? undefined
      : `--${name} needs a positive number of seconds, not "${value}"`;
  };

/** Every option: the reference's first, then yarn-run's own. */
export const OPTION_TABLE: readonly OptionSpec[] = [
  {
    names: ['no-act', 'dry-run', 'pretend', 'n'],
    key: 'dryRun',
    kind: 'bool',
    help: 'bind everything, run nothing',
  },
  { names: ['quiet', 'q'], key: 'quiet', kind: 'bool', help: 'only show errors and the final line' },
  {
    names: ['verbose', 'v'],
    key: 'verbose',
    kind: 'bool',
    help: 'print every scenario and step (automatic without /dev/tty)',
  },
  {
    names: ['shell-library', 's'],
    key: 'shellLibrary',
    kind: 'list',
    metavar: 'FILE',
    help: 'prepend FILE to every shell step',
  },
  {
    names: ['run', 'r'],
    key: 'run',
    kind: 'list',
    metavar: 'SCENARIO',
    help: 'run only SCENARIO (repeatable, in this order)',
  },
  {
    names: ['name'],
    key: 'name',
    kind: 'list',
    metavar: 'REGEX',
    help: 'run only scenarios whose name matches REGEX (repeatable: any of them)',
  },
  {
    names: ['rerun'],
    key: 'rerun',
    kind: 'string',
    metavar: 'FILE',
    help: 'run exactly the scenarios of a rerun file (also: yarn-run @FILE)',
  },
  {
    names: ['rerun-file'],
    key: 'rerunFile',
    kind: 'string',
    metavar: 'FILE',
    help: 'write the failed scenarios to FILE (FILE:LINE lines) for --rerun',
  },
  {
    names: ['retry'],
    key: 'retry',
    check: (v) =>
      Number.isInteger(Number(v)) && Number(v) >= 0 && v.trim() !== ''
        ? undefined
        : `--retry needs a whole number of retries, not "${v}"`,
    kind: 'string',
    metavar: 'N',
    help: 'run a failing scenario up to N more times (passing on a retry = flaky)',
  },
  {
    names: ['tempdir'],
    key: 'tempdir',
    kind: 'string',
    metavar: 'DIR',
    help: 'fixed temp root (wiped after each scenario)',
  },
  {
    names: ['env'],
    key: 'env',
    kind: 'list',
    metavar: 'NAME=VALUE',
    help: 'add NAME=VALUE to the step environment',
  },
  {
    names: ['snapshot'],
    key: 'snapshot',
    kind: 'bool',
    help: 'copy DATADIR after every step; keep the temp dir',
  },
  { names: ['timings'], key: 'timings', kind: 'bool', help: 'print per-scenario and per-step times' },
  {
    names: ['allow-missing-steps'],
    key: 'allowMissingSteps',
    kind: 'bool',
    help: 'drop scenarios with undefined steps',
  },
  {
    names: ['require-assumptions'],
    key: 'requireAssumptions',
    kind: 'bool',
    help: 'a failing ASSUMING fails the scenario',
  },
  {
    names: ['shell'],
    key: 'shell',
    kind: 'string',
    metavar: 'SHELL',
    help: 'run IMPLEMENTS with SHELL (default /bin/sh)',
  },
  {
    names: ['shell-arg'],
    key: 'shellArg',
    kind: 'list',
    metavar: 'ARG',
    help: 'shell arguments (replace the default -xeu)',
  },
  { names: ['cd-datadir'], key: 'cdDatadir', kind: 'bool', help: 'run steps in DATADIR instead of SRCDIR' },
  {
    names: ['stop-on-first-fail'],
    key: 'stopOnFirstFail',
    kind: 'bool',
    help: 'stop after the first failed scenario',
  },
  {
    names: ['output'],
    key: 'output',
    kind: 'string',
    metavar: 'FILE',
    help: 'write the --format report to FILE',
  },
  {
    names: ['log'],
    key: 'log',
    kind: 'string',
    metavar: 'FILE',
    help: 'write a debug log with every step output to FILE',
  },
  // cliapp generic options accepted for compatibility (no effect).
  { names: ['log-level'], key: 'logLevel', kind: 'string', metavar: 'LEVEL', help: '(accepted, ignored)' },
  { names: ['log-max'], key: 'logMax', kind: 'string', metavar: 'SIZE', help: '(accepted, ignored)' },
  { names: ['log-keep'], key: 'logKeep', kind: 'string', metavar: 'N', help: '(accepted, ignored)' },
  { names: ['log-mode'], key: 'logMode', kind: 'string', metavar: 'MODE', help: '(accepted, ignored)' },
  { names: ['config'], key: 'config', kind: 'list', metavar: 'FILE', help: '(accepted, ignored)' },
  { names: ['no-default-configs'], key: 'noDefaultConfigs', kind: 'bool', help: '(accepted, ignored)' },
  { names: ['dump-config'], key: 'dumpConfig', kind: 'bool', help: 'print the settings and exit' },
  {
    names: ['list-config-files'],
    key: 'listConfigFiles',
    kind: 'bool',
    help: 'print the config files the reference reads and exit',
  },
  { names: ['help-all'], key: 'helpAll', kind: 'bool', help: 'show this help' },
  {
    names: ['generate-manpage'],
    key: 'generateManpage',
    kind: 'string',
    metavar: 'TEMPLATE',
    help: '(accepted, ignored)',
  },
  {
    names: ['dump-memory-profile'],
    key: 'dumpMemoryProfile',
    kind: 'string',
    metavar: 'METHOD',
    help: '(accepted, ignored)',
  },
  {
    names: ['memory-dump-interval'],
    key: 'memoryDumpInterval',
    kind: 'string',
    metavar: 'SECONDS',
    help: '(accepted, ignored)',
  },
  // yarn-run's own.
  {
    names: ['steps'],
    key: 'steps',
    kind: 'list',
    metavar: 'FILE',
    help: 'TypeScript step module (default: package.json "yarn-run".steps)',
  },
  {
    names: ['jobs', 'j'],
    key: 'jobs',
    check: (v) =>
      v === 'auto' || (Number.isInteger(Number(v)) && Number(v) >= 1)
        ? undefined
        : `--jobs needs a positive integer, not "${v}"`,
    kind: 'string',
    metavar: 'N',
    help: 'run N scenarios at once (default: package.json "yarn-run".jobs, else 1; auto = CPUs)',
  },
  {
    names: ['step-timeout'],
    key: 'stepTimeout',
    check: positiveSeconds('step-timeout'),
    kind: 'string',
    metavar: 'SECONDS',
    help: 'kill a step after SECONDS',
  },
  {
    names: ['timeout'],
    key: 'timeout',
    check: positiveSeconds('timeout'),
    kind: 'string',
    metavar: 'SECONDS',
    help: 'fail a scenario after SECONDS (FINALLY still runs)',
  },
  {
    names: ['format'],
    key: 'format',
    check: (v) =>
      (REPORT_FORMATS as readonly string[]).includes(v)
        ? undefined
        : `--format must be tap, junit, json or html, not "${v}"`,
    kind: 'string',
    metavar: 'FMT',
    help: 'also write tap, junit, json or html (to --output or stdout)',
  },
  { names: ['list'], key: 'list', kind: 'bool', help: 'list scenarios and the implementation of every step' },
  {
    names: ['shard'],
    key: 'shard',
    kind: 'string',
    metavar: 'I/N',
    help: 'run only the I-th of N deterministic slices',
  },
  {
    names: ['keep-failed'],
    key: 'keepFailed',
    kind: 'bool',
    help: "keep failed scenarios' DATADIR and print a re-run command",
  },
  {
    names: ['fresh-shell'],
    key: 'freshShell',
    kind: 'bool',
    help: 'start a new shell per step like the reference',
  },
  { names: ['debug'], key: 'debug', kind: 'bool', help: 'stack traces for errors' },
  { names: ['help', 'h'], key: 'help', kind: 'bool', help: 'show this help' },
  { names: ['version'], key: 'version', kind: 'bool', help: 'show the version' },
];

/** Parsed options: booleans, strings and lists by key. */
export interface ParsedArgs {
  readonly bools: Record<string, boolean>;
  readonly strings: Record<string, string>;
  readonly lists: Record<string, string[]>;
  readonly files: string[];
  /** Whether an option was given on the command line (e.g. `-j`). */
  readonly given: Set<string>;
}

const byName = new Map<string, OptionSpec>();
for (const spec of OPTION_TABLE) for (const n of spec.names) byName.set(n, spec);

function usage(message: string): YarnError {
  return new YarnError('USAGE', message, { hint: 'see yarn-run --help' });
}

/**
 * Parses argv (without node and the script).
 * @throws YarnError USAGE for unknown options or missing values.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const result: ParsedArgs = { bools: {}, strings: {}, lists: {}, files: [], given: new Set() };
  const set = (spec: OptionSpec, value: string | boolean) => {
    const problem = typeof value === 'string' ? spec.check?.(value) : undefined;
    if (problem) throw usage(problem);
    result.given.add(spec.key);
    if (spec.kind === 'bool') result.bools[spec.key] = value as boolean;
    else if (spec.kind === 'string') result.strings[spec.key] = value as string;
    else {
      const list = result.lists[spec.key] ?? [];
      list.push(value as string);
      result.lists[spec.key] = list;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      result.files.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      let spec = byName.get(name);
      let negated = false;
      if (!spec && name.startsWith('no-')) {
        const base = byName.get(name.slice(3));
        if (base?.kind === 'bool') {
          spec = base;
          negated = true;
        }
      }
      if (!spec) throw usage(`no such option: --${name}`);
      if (spec.kind === 'bool') {
        if (eq >= 0) throw usage(`--${name} option does not take a value`);
        set(spec, !negated);
      } else if (eq >= 0) set(spec, arg.slice(eq + 1));
      else {
        const value = argv[++i];
        if (value === undefined) throw usage(`--${name} option requires an argument`);
        set(spec, value);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const spec = byName.get(arg[j]!);
        if (!spec) throw usage(`no such option: -${arg[j]}`);
        if (spec.kind === 'bool') {
          set(spec, true);
          continue;
        }
        const rest = arg.slice(j + 1);
        const value = rest !== '' ? rest : argv[++i];
        if (value === undefined) throw usage(`-${arg[j]} option requires an argument`);
        set(spec, value);
        break;
      }
      continue;
    }
    result.files.push(arg);
  }
  return result;
}

/** `--dump-config`: every setting as `name = value` lines (lists comma-separated), cliapp style. */
export function dumpConfig(args: ParsedArgs): string {
  const lines = ['[config]'];
  for (const spec of OPTION_TABLE) {
    const name = spec.names[0]!;
    if (spec.kind === 'bool') lines.push(`${name} = ${args.bools[spec.key] ? 'True' : 'False'}`);
    else if (spec.kind === 'string') lines.push(`${name} = ${args.strings[spec.key] ?? ''}`);
    else lines.push(`${name} = ${(args.lists[spec.key] ?? []).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The --help text, generated from the table. */
export function helpText(): string {
  const lines = [
    'Usage: yarn-run [OPTIONS] FILE...',
    '       yarn-run [OPTIONS] @RERUN-FILE [FILE...]',
    '       yarn-run lint FILE...',
    '',
    'Options:',
  ];
  for (const spec of OPTION_TABLE) {
    const names = spec.names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
    const meta = spec.kind === 'bool' ? '' : `=${spec.metavar ?? 'VALUE'}`;
    lines.push(`  ${`${names}${meta}`.padEnd(40)} ${spec.help}`);
  }
  return `${lines.join('\n')}\n`;
}
