/**
 * The one declarative table of morph's global settings (docs/spec/morph.md 1.3, HS-3):
 * it drives command-line parsing, `[config]` file keys, `morph --help` and
 * the `MORPH_DUMP_PROCESSED_CONFIG` dump.
 */

/** How a setting's text is parsed. */
export type SettingType = 'bool' | 'bytesize' | 'int' | 'string' | 'string-list' | 'choice';

/** A value of some setting once parsed. */
export type SettingValue = boolean | number | string | readonly string[];

/** One row of the table. */
export interface SettingSpec {
  /** Long option name and `[config]` key. */
  readonly name: keyof Settings;
  readonly type: SettingType;
  /** Extra long names (`trove-prefix` for `trove-id`). */
  readonly aliases?: readonly string[];
  /** One-letter short option (`v` for `-v`). */
  readonly short?: string;
  /** Allowed values of a `choice` setting. */
  readonly choices?: readonly string[];
  /** Placeholder shown in `--help`. */
  readonly metavar?: string;
  /** The smallest and largest values of an `int` setting. */
  readonly range?: readonly [number, number];
  readonly help: string;
}

/**
 * Every global setting, typed. Values that depend on others (`cachedir`,
 * `cache-server`, `build-ref-prefix`, ...) are filled in by `loadSettings`.
 */
export interface Settings {
  verbose: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
  config: readonly string[];
  'no-default-configs': boolean;
  log: string;
  'log-level': string;
  'log-max': string;
  'log-keep': string;
  'log-mode': string;
  'dump-config': boolean;
  cachedir: string;
  tempdir: string;
  'cachedir-min-space': number;
  'tempdir-min-space': number;
  'repo-alias': readonly string[];
  'trove-host': string;
  'trove-id': readonly string[];
  'cache-server': string;
  'artifact-cache-server': string;
  'git-resolve-cache-server': string;
  'tarball-server': string;
  'build-ref-prefix': string;
  'no-git-update': boolean;
  'build-log-on-stdout': boolean;
  'max-jobs': number;
  'build-timeout': number;
  'remote-execution': string;
  'remote-instance-name': string;
  'remote-tls-ca': string;
  'remote-auth-token-file': string;
  'max-remote-jobs': number;
  'no-ccache': boolean;
  'no-distcc': boolean;
  'push-build-branches': boolean;
  'local-changes': string;
  'compiler-cache-dir': string;
  'metadata-dir': string;
  upgrade: boolean;
  'union-filesystem': string;
  'controller-initiator-address': string;
  'controller-initiator-port': number;
  'initiator-step-output-dir': string;
}

/** The table itself, in `--help` order. */
export const SETTINGS: readonly SettingSpec[] = [
  { name: 'verbose', type: 'bool', short: 'v', help: 'print every status line, executed commands included' },
  { name: 'quiet', type: 'bool', short: 'q', help: 'print only error status lines' },
  { name: 'help', type: 'bool', short: 'h', help: 'show this help and exit' },
  { name: 'version', type: 'bool', help: 'print the version recorded in image metadata and exit' },
  { name: 'config', type: 'string-list', metavar: 'FILE', help: 'also read this config file (repeatable)' },
  {
    name: 'no-default-configs',
    type: 'bool',
    help: 'do not read /etc/morph.conf, /etc/morph/*.conf, ~/.morph.conf, ~/.config/morph/*.conf',
  },
  { name: 'log', type: 'string', metavar: 'FILE', help: 'write a debug log to FILE' },
  {
    name: 'log-level',
    type: 'string',
    metavar: 'LEVEL',
    help: 'accepted for compatibility; the log has one level',
  },
  {
    name: 'log-max',
    type: 'string',
    metavar: 'SIZE',
    help: 'accepted for compatibility; the log is not rotated',
  },
  {
    name: 'log-keep',
    type: 'string',
    metavar: 'N',
    help: 'accepted for compatibility; the log is not rotated',
  },
  { name: 'log-mode', type: 'string', metavar: 'MODE', help: 'accepted for compatibility' },
  { name: 'dump-config', type: 'bool', help: 'print the processed settings as a [config] file and exit' },
  { name: 'cachedir', type: 'string', metavar: 'DIR', help: 'git and artifact cache root (~/.cache/morph)' },
  { name: 'tempdir', type: 'string', metavar: 'DIR', help: 'scratch area ($TMPDIR/morph_tmp)' },
  {
    name: 'cachedir-min-space',
    type: 'bytesize',
    metavar: 'SIZE',
    help: 'fail early if cachedir has less free space (0 disables)',
  },
  {
    name: 'tempdir-min-space',
    type: 'bytesize',
    metavar: 'SIZE',
    help: 'fail early if tempdir has less free space (0 disables)',
  },
  {
    name: 'repo-alias',
    type: 'string-list',
    metavar: 'ALIAS=PULL#PUSH',
    help: 'repository URL prefix alias (repeatable)',
  },
  { name: 'trove-host', type: 'string', metavar: 'HOST', help: 'host of implicit aliases and cache servers' },
  {
    name: 'trove-id',
    type: 'string-list',
    aliases: ['trove-prefix'],
    metavar: 'ID',
    help: 'extra trove alias P=PATH#PULLPROTO#PUSHPROTO (repeatable)',
  },
  { name: 'cache-server', type: 'string', metavar: 'URL', help: 'remote artifact and ref-resolution cache' },
  { name: 'artifact-cache-server', type: 'string', metavar: 'URL', help: 'remote artifact cache' },
  { name: 'git-resolve-cache-server', type: 'string', metavar: 'URL', help: 'remote ref-resolution cache' },
  { name: 'tarball-server', type: 'string', metavar: 'URL', help: 'seed tarballs for the git cache' },
  { name: 'build-ref-prefix', type: 'string', metavar: 'PREFIX', help: 'temporary build branch namespace' },
  { name: 'no-git-update', type: 'bool', help: 'never fetch into the git cache' },
  { name: 'build-log-on-stdout', type: 'bool', help: 'stream build command output to stdout' },
  {
    name: 'max-jobs',
    type: 'int',
    range: [1, 4096],
    metavar: 'N',
    help: 'make parallelism (default: 1.5 x CPUs)',
  },
  {
    name: 'build-timeout',
    type: 'int',
    range: [0, 31_536_000],
    metavar: 'SECONDS',
    help: 'kill a chunk build command that runs longer than this (default: 0, never)',
  },
  {
    name: 'remote-execution',
    type: 'string',
    metavar: 'URL',
    help: 'build chunks on a Remote Execution API v2 engine (grpc://HOST:PORT, grpcs:// for TLS)',
  },
  {
    name: 'remote-instance-name',
    type: 'string',
    metavar: 'NAME',
    help: 'instance name on the remote engine',
  },
  {
    name: 'remote-tls-ca',
    type: 'string',
    metavar: 'FILE',
    help: 'PEM CA certificates for grpcs:// engines',
  },
  {
    name: 'remote-auth-token-file',
    type: 'string',
    metavar: 'FILE',
    help: 'file holding a bearer token sent to the remote engine',
  },
  {
    name: 'max-remote-jobs',
    type: 'int',
    range: [1, 4096],
    metavar: 'N',
    help: 'chunks built remotely at once (default: 64)',
  },
  { name: 'no-ccache', type: 'bool', help: 'do not use ccache' },
  { name: 'no-distcc', type: 'bool', help: 'do not use distcc (default: true)' },
  { name: 'push-build-branches', type: 'bool', help: 'push temporary build branches' },
  {
    name: 'local-changes',
    type: 'choice',
    choices: ['include', 'ignore'],
    metavar: 'include|ignore',
    help: 'build from a temporary branch with local changes, or ignore them',
  },
  {
    name: 'compiler-cache-dir',
    type: 'string',
    metavar: 'DIR',
    help: 'ccache directories (<cachedir>/ccache)',
  },
  { name: 'metadata-dir', type: 'string', metavar: 'DIR', help: 'metadata of branch-from-image (/baserock)' },
  { name: 'upgrade', type: 'bool', help: 'deprecated deploy flag; use morph upgrade' },
  {
    name: 'union-filesystem',
    type: 'choice',
    choices: ['overlayfs', 'unionfs-fuse', 'copy'],
    metavar: 'overlayfs|unionfs-fuse|copy',
    help: 'how deploy makes a writable tree over the cached system',
  },
  {
    name: 'controller-initiator-address',
    type: 'string',
    metavar: 'ADDR',
    help: 'distbuild controller address',
  },
  {
    name: 'controller-initiator-port',
    type: 'int',
    range: [1, 65535],
    metavar: 'PORT',
    help: 'distbuild controller port',
  },
  {
    name: 'initiator-step-output-dir',
    type: 'string',
    metavar: 'DIR',
    help: 'distbuild step output directory',
  },
];

/** Finds a setting by name or alias (config keys, exact option names). */
export function findSetting(name: string): SettingSpec | undefined {
  return SETTINGS.find((spec) => spec.name === name || spec.aliases?.includes(name));
}
