import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { MorphError } from '../errors.js';
import { defaultConfigFiles, readConfigFiles } from './config-file.js';
import { parseCommandLine } from './parse-command-line.js';
import { parseSettingValue } from './parse-setting-value.js';
import { findSetting, type Settings, type SettingValue } from './setting-table.js';

/** What the start-up of an invocation needs to know about its surroundings. */
export interface SettingsEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly cpus: number;
  /** Directory holding `morph.conf` and `morph/*.conf` (default `/etc`). */
  readonly etc?: string;
}

/** The outcome of `loadSettings`. */
export interface LoadedSettings {
  readonly settings: Settings;
  /** Subcommand and its arguments. */
  readonly positional: readonly string[];
  /** Names of the settings given explicitly (config file or command line). */
  readonly explicit: ReadonlySet<keyof Settings>;
}

const PATH_SETTINGS: readonly (keyof Settings)[] = [
  'log',
  'cachedir',
  'tempdir',
  'compiler-cache-dir',
  'metadata-dir',
  'initiator-step-output-dir',
];

/**
 * Computes the settings of one invocation (docs/spec/morph.md 1.3): built-in defaults,
 * then the default config files (unless `--no-default-configs`) and every
 * `--config` file (missing ones ignored), then the command line, then the
 * derived defaults of settings nobody set.
 * @throws MorphError cli/usage or config/* for bad options, files or values
 */
export async function loadSettings(
  argv: readonly string[],
  where: SettingsEnvironment,
): Promise<LoadedSettings> {
  const commandLine = parseCommandLine(argv);
  const given = new Map<keyof Settings, SettingValue>();
  const cliConfigs = commandLine.options
    .filter((o) => o.spec.name === 'config')
    .map((o) => o.value as string[]);
  const noDefaults = commandLine.options.some((o) => o.spec.name === 'no-default-configs');
  const home = where.env.HOME || homedir();

  const files = [
    ...(noDefaults ? [] : await defaultConfigFiles(home, where.etc)),
    ...cliConfigs.flat().map((f) => expandPath(f, home, where.cwd)),
  ];
  for (const entry of await readConfigFiles(files)) {
    const spec = findSetting(entry.key);
    if (!spec) continue; // unknown keys are ignored (distbuild keys of other tools, typos of old versions)
    try {
      given.set(spec.name, parseSettingValue(spec, entry.value, true));
    } catch (err) {
      throw new MorphError('config', 'bad-value', (err as Error).message, { location: entry.location });
    }
  }

  const fromCommandLine = new Set<keyof Settings>();
  for (const { spec, value } of commandLine.options) {
    if (spec.type === 'string-list') {
      // The first use on the command line replaces a config file's list; later ones add to it.
      const previous = fromCommandLine.has(spec.name) ? (given.get(spec.name) as string[]) : [];
      given.set(spec.name, [...previous, ...(value as string[])]);
    } else {
      given.set(spec.name, value);
    }
    fromCommandLine.add(spec.name);
  }

  const settings = deriveSettings(given, { ...where, env: { ...where.env, HOME: home } });
  for (const name of PATH_SETTINGS) {
    const value = settings[name] as string;
    if (value !== '') (settings[name] as string) = expandPath(value, home, where.cwd);
  }
  if (given.has('tarball-server')) checkUrl('tarball-server', settings['tarball-server']);
  return { settings, positional: commandLine.positional, explicit: new Set(given.keys()) };
}

function deriveSettings(given: Map<keyof Settings, SettingValue>, where: SettingsEnvironment): Settings {
  const get = <K extends keyof Settings>(name: K, fallback: () => Settings[K]): Settings[K] =>
    given.has(name) ? (given.get(name) as Settings[K]) : fallback();
  const troveHost = get('trove-host', () => 'git.baserock.org');
  const troveId = get('trove-id', () => []);
  const cachedir = get('cachedir', () => join(where.env.HOME!, '.cache', 'morph'));
  const cacheServer = get('cache-server', () => `http://${troveHost}:8080/`);
  return {
    verbose: get('verbose', () => false),
    quiet: get('quiet', () => false),
    help: get('help', () => false),
    version: get('version', () => false),
    config: get('config', () => []),
    'no-default-configs': get('no-default-configs', () => false),
    log: get('log', () => ''),
    'log-level': get('log-level', () => 'debug'),
    'log-max': get('log-max', () => '0'),
    'log-keep': get('log-keep', () => '10'),
    'log-mode': get('log-mode', () => '0600'),
    'dump-config': get('dump-config', () => false),
    cachedir,
    tempdir: get('tempdir', () => join(where.env.TMPDIR || '/tmp', 'morph_tmp')),
    'cachedir-min-space': get('cachedir-min-space', () => 4 * 1024 ** 3),
    'tempdir-min-space': get('tempdir-min-space', () => 4 * 1024 ** 3),
    'repo-alias': get('repo-alias', () => []),
    'trove-host': troveHost,
    'trove-id': troveId,
    'cache-server': cacheServer,
    'artifact-cache-server': get('artifact-cache-server', () => cacheServer),
    'git-resolve-cache-server': get('git-resolve-cache-server', () => cacheServer),
    'tarball-server': get('tarball-server', () => (troveHost ? `http://${troveHost}/tarballs/` : '')),
    'build-ref-prefix': get('build-ref-prefix', () =>
      troveId[0] !== undefined ? `${troveId[0]}/builds` : 'baserock/builds',
    ),
    'no-git-update': get('no-git-update', () => false),
    'build-log-on-stdout': get('build-log-on-stdout', () => false),
    'max-jobs': get('max-jobs', () => Math.max(1, Math.round(1.5 * where.cpus))),
    'build-timeout': get('build-timeout', () => 0),
    'remote-execution': get('remote-execution', () => ''),
    'remote-instance-name': get('remote-instance-name', () => ''),
    'remote-tls-ca': get('remote-tls-ca', () => ''),
    'remote-auth-token-file': get('remote-auth-token-file', () => ''),
    'max-remote-jobs': get('max-remote-jobs', () => 64),
    'no-ccache': get('no-ccache', () => false),
    'no-distcc': get('no-distcc', () => true),
    'push-build-branches': get('push-build-branches', () => false),
    'local-changes': get('local-changes', () => 'include'),
    'compiler-cache-dir': get('compiler-cache-dir', () => join(cachedir, 'ccache')),
    'metadata-dir': get('metadata-dir', () => '/baserock'),
    upgrade: get('upgrade', () => false),
    'union-filesystem': get('union-filesystem', () => 'overlayfs'),
    'controller-initiator-address': get('controller-initiator-address', () => 'localhost'),
    'controller-initiator-port': get('controller-initiator-port', () => 7878),
    'initiator-step-output-dir': get('initiator-step-output-dir', () => ''),
  };
}

function expandPath(path: string, home: string, cwd: string): string {
  const expanded = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
  return isAbsolute(expanded) ? resolve(expanded) : resolve(cwd, expanded);
}

/**
 * Checks a server URL has scheme http, https or file and (except file) a host.
 * @throws MorphError config/not-a-url otherwise
 */
export function checkUrl(name: string, url: string): void {
  const match = /^(https?|file):\/\/([^/]*)/.exec(url);
  if (!match || (match[1] !== 'file' && match[2] === '')) {
    throw new MorphError('config', 'not-a-url', `${name} ${JSON.stringify(url)} is not a URL`, {
      hint: 'give an http://, https:// or file:// URL',
    });
  }
}
