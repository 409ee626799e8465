import { execFileSync } from 'node:child_process';
import { arch } from 'node:os';
import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { expectArguments } from './arguments.js';

export const usage = '';
export const help = 'Print the Baserock name of the host architecture.';

/** `morph print-architecture`: one line, no status lines (morph.md 9.1). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('print-architecture', args, 0, 0, 'no arguments');
  app.out(`${baserockArchitecture(machine(), isHardFloat)}\n`);
}

/**
 * Maps `uname -m` to morph's architecture name.
 * @throws MorphError cli/unknown-architecture for machines morph does not know
 */
export function baserockArchitecture(machineName: string, hardFloat: () => boolean): string {
  switch (machineName) {
    case 'x86_64':
      return 'x86_64';
    case 'i386':
    case 'i486':
    case 'i586':
    case 'i686':
      return 'x86_32';
    case 'armv7l':
      return hardFloat() ? 'armv7lhf' : 'armv7l';
    case 'armv7b':
    case 'armv8l':
    case 'armv8b':
    case 'ppc64':
      return machineName;
    case 'aarch64':
      return 'armv8l64';
    case 'aarch64b':
      return 'armv8b64';
    default:
      throw new MorphError('cli', 'unknown-architecture', `unknown host architecture ${machineName}`);
  }
}

function machine(): string {
  try {
    return execFileSync('uname', ['-m'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return arch() === 'x64' ? 'x86_64' : arch();
  }
}

/** True when the running node binary uses the ARM hard-float ABI (what readelf shows as VFP args). */
function isHardFloat(): boolean {
  return (process.config.variables as unknown as Record<string, unknown>).arm_float_abi === 'hard';
}
