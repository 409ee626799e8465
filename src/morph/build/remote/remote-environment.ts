/** Variables of the local build environment that name the host's compiler cache (no remote worker has it). */
const HOST_ONLY = ['CCACHE_DIR', 'CCACHE_EXTRAFILES', 'CCACHE_PREFIX'];

/**
 * A chunk's environment as a remote action gets it: the local one without
 * the compiler cache's variables (remote builds use no ccache; the engine's
 * action cache does that job), so that the action's digest, and the build,
 * do not depend on this machine's ccache.
 */
export function remoteEnvironment(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !HOST_ONLY.includes(name)));
}
