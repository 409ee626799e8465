import { HERMETIC_ENVIRONMENT } from './hermetic.js';

/** Inputs of the chunk build environment (docs/spec/morph.md 5.9). */
export interface BuildEnvironmentOptions {
  /** The system's `arch` (`x86_64`, `armv7lhf`, ...). */
  arch: string;
  /** Don't use ccache (`no-ccache`). */
  noCcache: boolean;
  /** Don't use distcc (`no-distcc`). */
  noDistcc: boolean;
  /** morph's own environment, for the few variables that are passed through. */
  hostEnv?: NodeJS.ProcessEnv;
  /** Which of the host's `/baserock/{binutils,eglibc,gcc}.meta` exist (for `CCACHE_EXTRAFILES`). */
  existingFiles?: (path: string) => boolean;
}

const CCACHE_EXTRA_FILES = ['/baserock/binutils.meta', '/baserock/eglibc.meta', '/baserock/gcc.meta'];

const PASSED_THROUGH = [
  'DISTCC_HOSTS',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'FAKEROOTKEY',
  'FAKED_MODE',
  'FAKEROOT_FD_BASE',
] as const;

/** The user name every build runs as (the original's constant). */
export const BUILD_USER = 'tomjon';

/** `<cpu>-baserock-linux-gnu<abi>` and the stage-1 variant for an arch. */
export function targetTriplets(arch: string): { target: string; targetStage1: string } {
  const cpu =
    ({ x86_32: 'i686', armv8l64: 'aarch64', armv8b64: 'aarch64_be' } as Record<string, string>)[arch] ?? arch;
  const abi = arch.startsWith('armv7') ? 'eabi' : '';
  return { target: `${cpu}-baserock-linux-gnu${abi}`, targetStage1: `${cpu}-bootstrap-linux-gnu${abi}` };
}

/**
 * The environment shared by every source of one system: the variables that
 * enter cache keys (`LC_ALL`, `LOGNAME`, `MORPH_ARCH`, `SOURCE_DATE_EPOCH`,
 * `TARGET`, `TARGET_STAGE1`, `TZ`, `USER`, `USERNAME`) plus the fixed ones. `PATH`, `PREFIX`, `DESTDIR` and
 * `MAKEFLAGS` are added per chunk and command.
 */
export function baseBuildEnvironment(options: BuildEnvironmentOptions): Record<string, string> {
  const { target, targetStage1 } = targetTriplets(options.arch);
  const env: Record<string, string> = {
    TERM: 'dumb',
    SHELL: '/bin/sh',
    USER: BUILD_USER,
    USERNAME: BUILD_USER,
    LOGNAME: BUILD_USER,
    HOME: '/tmp',
    MORPH_ARCH: options.arch,
    TARGET: target,
    TARGET_STAGE1: targetStage1,
    ...HERMETIC_ENVIRONMENT,
  };
  if (!options.noCcache) {
    env.CCACHE_DIR = '/tmp/ccache';
    // The host toolchain's metadata makes ccache results depend on its version.
    const extra = CCACHE_EXTRA_FILES.filter((file) => options.existingFiles?.(file) ?? false);
    if (extra.length > 0) env.CCACHE_EXTRAFILES = extra.join(':');
  }
  if (!options.noDistcc) env.CCACHE_PREFIX = 'distcc';
  const host = options.hostEnv ?? {};
  for (const name of PASSED_THROUGH) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The part of the environment that enters cache keys (`cache_id.env`). */
export function cacheKeyEnvironment(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const names = ['LOGNAME', 'MORPH_ARCH', 'TARGET', 'TARGET_STAGE1', 'USER', 'USERNAME'];
  for (const name of [...names, ...Object.keys(HERMETIC_ENVIRONMENT)].sort()) {
    out[name] = env[name] ?? '';
  }
  return out;
}

/**
 * `PATH` for a chunk: `<prefix>/bin` for each distinct dependency prefix,
 * then ccache's directory, then the standard directories. In bootstrap and
 * test modes the extra directories live under the staging area and the host
 * `PATH` follows.
 */
export function chunkPath(options: {
  dependencyPrefixes: readonly string[];
  noCcache: boolean;
  staging?: { dir: string; hostPath: string };
}): string {
  const extra: string[] = [];
  for (const prefix of options.dependencyPrefixes) {
    const bin = `${prefix.replace(/\/+$/, '')}/bin`;
    if (!extra.includes(bin)) extra.push(bin);
  }
  if (!options.noCcache) extra.push('/usr/lib/ccache');
  if (options.staging) {
    const mapped = extra.map((dir) => `${options.staging?.dir}${dir}`);
    return [...mapped, options.staging.hostPath].filter((part) => part !== '').join(':');
  }
  return [...extra, '/sbin:/usr/sbin:/bin:/usr/bin'].join(':');
}
