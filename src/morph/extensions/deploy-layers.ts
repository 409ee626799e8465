/**
 * The layers of a deploy tree (docs/spec/design.md 3.2), as morph tells them to the
 * built-in write extensions: the overlay's read-only lower directory (the
 * artifact's shared checkout), its upper directory (what this deployment
 * changed) and the shared checkout's own directory, where an extension may
 * keep what it derives from the lower layer alone (rawdisk's pristine
 * image), removed together with the checkout.
 *
 * These variables are morph's, not configuration: morph sets them for the
 * write extension only, removes any that come from the user's environment
 * or the cluster, and never records them in `baserock/deployment.meta`.
 * Without them (an extension run by hand, `union-filesystem=copy` or
 * `unionfs-fuse`, no shared checkout) an extension just reads the tree.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readFileIfPresent } from '../../shared/if-present.js';

/** The names of the variables, one per layer. */
export const DEPLOY_LAYER_VARIABLES = {
  lower: 'MORPH_DEPLOY_LOWER',
  upper: 'MORPH_DEPLOY_UPPER',
  cache: 'MORPH_DEPLOY_CACHE',
} as const;

/** Where the deploy tree's content comes from. */
export interface DeployLayers {
  /** The overlay's lower directory: the artifact's shared checkout, never to be written. */
  lower: string;
  /** The overlay's upper directory: this deployment's own changes (with whiteouts). */
  upper: string;
  /** A directory for files derived from `lower` only, kept and removed with it. */
  cache: string;
}

/** True for the variables morph sets itself (to drop them from the user's environment). */
export function isDeployLayerVariable(name: string): boolean {
  return (Object.values(DEPLOY_LAYER_VARIABLES) as string[]).includes(name);
}

/** The variables describing `layers`, for the write extension's environment. */
export function deployLayerEnvironment(layers: DeployLayers): Record<string, string> {
  return {
    [DEPLOY_LAYER_VARIABLES.lower]: layers.lower,
    [DEPLOY_LAYER_VARIABLES.upper]: layers.upper,
    [DEPLOY_LAYER_VARIABLES.cache]: layers.cache,
  };
}

/** Reads the layers from an extension's environment; undefined unless all three are set. */
export function readDeployLayers(
  env: Readonly<Record<string, string | undefined>>,
): DeployLayers | undefined {
  const lower = env[DEPLOY_LAYER_VARIABLES.lower];
  const upper = env[DEPLOY_LAYER_VARIABLES.upper];
  const cache = env[DEPLOY_LAYER_VARIABLES.cache];
  if (!lower || !upper || !cache) return undefined;
  return { lower, upper, cache };
}

/** An overlay mount as /proc/self/mountinfo describes it. */
export interface OverlayMount {
  lowerdirs: string[];
  upperdir: string | undefined;
  /** Every super option by name (values still escaped as in mountinfo; `""` for a bare flag). */
  options: Map<string, string>;
}

/** Undoes the octal escapes of mountinfo fields (`\040` for a blank, `\054` for a comma). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * The overlay mounted at `mountpoint`, per the text of /proc/self/mountinfo
 * (the last mount there wins); undefined when it is not an overlay.
 */
export function findOverlayMount(mountinfo: string, mountpoint: string): OverlayMount | undefined {
  let found: OverlayMount | undefined;
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    const target = unescapeMountField(before.split(' ')[4] ?? '');
    if (target !== mountpoint) continue;
    const [fstype, , superOptions] = after.split(' ');
    if (fstype !== 'overlay') {
      found = undefined;
      continue;
    }
    // The kernel escapes commas, colons and blanks inside paths as octal, so split first.
    const options = new Map<string, string>();
    for (const option of (superOptions ?? '').split(',')) {
      const eq = option.indexOf('=');
      options.set(eq < 0 ? option : option.slice(0, eq), eq < 0 ? '' : option.slice(eq + 1));
    }
    const lower = options.get('lowerdir');
    const upper = options.get('upperdir');
    found = {
      lowerdirs: lower === undefined ? [] : lower.split(':').map(unescapeMountField),
      upperdir: upper === undefined ? undefined : unescapeMountField(upper),
      options,
    };
  }
  return found;
}

/**
 * Why the tree at `tree` cannot be read as `layers` (or undefined when it
 * can): it must be an overlay of exactly that lower and upper directory,
 * and without `redirect_dir` or `metacopy`, whose upper layers can hold
 * renamed directories and metadata-only copies that a comparison of the
 * upper directory with the merged tree would miss. `moduleDefault` reads
 * the overlay module's default for an option the mount does not name.
 */
export function overlayMismatch(
  overlay: OverlayMount | undefined,
  layers: DeployLayers,
  moduleDefault: (option: 'redirect_dir' | 'metacopy') => boolean,
): string | undefined {
  if (overlay === undefined) return 'the tree is not an overlay mount';
  if (overlay.lowerdirs.length !== 1 || resolve(overlay.lowerdirs[0]!) !== resolve(layers.lower)) {
    return `the overlay's lower directory is not ${layers.lower}`;
  }
  if (overlay.upperdir === undefined || resolve(overlay.upperdir) !== resolve(layers.upper)) {
    return `the overlay's upper directory is not ${layers.upper}`;
  }
  for (const option of ['redirect_dir', 'metacopy'] as const) {
    const value = overlay.options.get(option);
    const on = value === undefined ? moduleDefault(option) : value !== 'off' && value !== 'nofollow';
    if (on) return `the overlay is mounted with ${option}`;
  }
  return undefined;
}

/** Reads a Y/N parameter of the overlay module (missing: off). */
async function readModuleDefault(option: string): Promise<boolean> {
  const text = (await readFileIfPresent(`/sys/module/overlay/parameters/${option}`)) ?? 'N';
  return text.trim() === 'Y';
}

/**
 * Checks the mounted tree against `layers` (see overlayMismatch).
 * @returns why it does not match, or undefined.
 */
export async function checkDeployLayers(tree: string, layers: DeployLayers): Promise<string | undefined> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const defaults = {
    redirect_dir: await readModuleDefault('redirect_dir'),
    metacopy: await readModuleDefault('metacopy'),
  };
  return overlayMismatch(findOverlayMount(mountinfo, resolve(tree)), layers, (option) => defaults[option]);
}
