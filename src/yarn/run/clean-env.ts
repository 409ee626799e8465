/**
 * The reference's clean step environment (`clean_env` + `run_step`): PATH
 * inherited, fixed TERM/SHELL/LC_ALL and fake user `tomjon`, each `--env`,
 * then DATADIR, SRCDIR, HOME and MATCH_n. Nothing else (no TMPDIR, no LANG).
 */
export interface EnvSettings {
  /** `--env NAME=VALUE` pairs, already split. */
  readonly extra: readonly (readonly [string, string])[];
  readonly srcdir: string;
  /** The `--shell` value (a "python" shell gets PYTHONPATH=$SRCDIR). */
  readonly shell: string;
  /** PATH of the engine's own environment. */
  readonly path: string | undefined;
}

/** The environment of a scenario (without MATCH_n). */
export function scenarioEnv(settings: EnvSettings, datadir: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (settings.path !== undefined) env.PATH = settings.path;
  env.TERM = 'dumb';
  env.SHELL = '/bin/sh';
  env.LC_ALL = 'C';
  env.USER = 'tomjon';
  env.USERNAME = 'tomjon';
  env.LOGNAME = 'tomjon';
  for (const [k, v] of settings.extra) env[k] = v;
  env.DATADIR = datadir;
  env.SRCDIR = settings.srcdir;
  env.HOME = `${datadir}/HOME`;
  if (settings.shell.includes('python')) {
    env.PYTHONPATH = env.PYTHONPATH ? `${env.PYTHONPATH}:${settings.srcdir}` : settings.srcdir;
  }
  return env;
}

/** Adds MATCH_1..n to a scenario environment. */
export function stepEnv(
  base: Readonly<Record<string, string>>,
  captures: readonly string[],
): Record<string, string> {
  const env = { ...base };
  captures.forEach((c, i) => {
    env[`MATCH_${i + 1}`] = c;
  });
  // The reference adds PYTHONPATH after the matches; order does not matter to a process.
  return env;
}

/**
 * Splits `--env` arguments.
 * @returns undefined when one has no `=` (the caller reports the reference's error).
 */
export function splitEnvArgs(args: readonly string[]): [string, string][] | undefined {
  const out: [string, string][] = [];
  for (const arg of args) {
    const i = arg.indexOf('=');
    if (i < 0) return undefined;
    out.push([arg.slice(0, i), arg.slice(i + 1)]);
  }
  return out;
}
