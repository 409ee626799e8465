import type { App } from '../app.js';
import { reclaimLeftovers } from '../deploy/leftovers.js';
import { collectGarbage } from '../gc/collect-garbage.js';
import { expectArguments } from './arguments.js';

export const usage = '';
export const help = 'Remove leftover build directories and artifacts unused for a week.';

/** `morph gc`. */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('gc', args, 0, 0, 'no arguments');
  const leftovers = reclaimLeftovers(app.settings);
  const report = await collectGarbage(app);
  app.status.normal(
    `Removed the leftovers of killed runs: ${leftovers.tempDirs} temp dirs, ${leftovers.stagingAreas} staging areas, ${leftovers.partialImages} partial images, ${leftovers.partialOutputs} partial outputs, ${leftovers.mounts} mounts, ${leftovers.loopDevices} loop devices`,
  );
  app.status.normal(
    `Removed ${report.tempEntries} temporary entries, ${report.artifacts} artifacts, ${report.sideFiles} build records, ${report.deployCheckouts} deploy checkouts and ${report.digestMemos} remote digest records`,
  );
}
