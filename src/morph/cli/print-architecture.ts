import os from 'node:os';
import type { App } from '../app.js';
import { architectureFromMachine } from '../definitions/architecture.js';
import { expectArguments } from './arguments.js';

export const usage = '';
export const help = 'Print the Baserock name of the host architecture.';

/** `morph print-architecture`: one line, no status lines, nothing on stderr (docs/spec/morph.md 9.1). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('print-architecture', args, 0, 0, 'no arguments');
  app.out(`${architectureFromMachine(machine(), isHardFloat())}\n`);
}

/** `uname -m`, without running it. */
function machine(): string {
  return os.machine();
}

/** True when the running node binary uses the ARM hard-float ABI (what readelf shows as VFP args). */
function isHardFloat(): boolean {
  return (process.config.variables as unknown as Record<string, unknown>).arm_float_abi === 'hard';
}
