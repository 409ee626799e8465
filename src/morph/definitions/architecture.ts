import { MorphError } from '../errors.js';

/** The architectures a system morphology may name in `arch` (docs/spec/morph.md 4.6). */
export const ARCHITECTURES = [
  'armv7l',
  'armv7lhf',
  'armv7b',
  'testarch',
  'x86_32',
  'x86_64',
  'ppc64',
  'armv8l64',
  'armv8b64',
] as const;

/** One of `ARCHITECTURES`. */
export type Architecture = (typeof ARCHITECTURES)[number];

/** True when `arch` is a known system architecture. */
export function isArchitecture(arch: string): arch is Architecture {
  return (ARCHITECTURES as readonly string[]).includes(arch);
}

/** Normalises a system `arch` as the loader does: `armv7` means `armv7l`. */
export function normaliseArchitecture(arch: string): string {
  return arch === 'armv7' ? 'armv7l' : arch;
}

/**
 * Morph's name for the host architecture, from `uname -m` output (docs/spec/morph.md
 * 9.1). `hardFloat` says whether morph's own binary uses the hard-float ABI
 * (only consulted for `armv7l`).
 *
 * @throws MorphError `build/unknown-host-architecture` for any other machine.
 */
export function architectureFromMachine(machine: string, hardFloat: boolean): string {
  const name = machine.trim();
  switch (name) {
    case 'x86_64':
      return 'x86_64';
    case 'i386':
    case 'i486':
    case 'i586':
    case 'i686':
      return 'x86_32';
    case 'armv7l':
      return hardFloat ? 'armv7lhf' : 'armv7l';
    case 'armv7b':
    case 'armv8l':
    case 'armv8b':
    case 'ppc64':
      return name;
    case 'aarch64':
      return 'armv8l64';
    case 'aarch64b':
      return 'armv8b64';
    default:
      throw new MorphError('build', 'unknown-host-architecture', `Unknown host architecture ${name}`);
  }
}

/**
 * True when a host of architecture `host` may build a system whose `arch` is
 * `target` (docs/spec/morph.md 5.5 step 4): the same architecture, or 32-bit ARM
 * systems on an armv8 host of the same endianness.
 */
export function canBuildArchitecture(host: string, target: string): boolean {
  if (host === target) return true;
  if (host === 'armv8l') return target === 'armv7l' || target === 'armv7lhf';
  if (host === 'armv8b') return target === 'armv7b';
  return false;
}
