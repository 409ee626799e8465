import { resolve } from 'node:path';
import type { App } from '../app.js';
import {
  formatManifest,
  guessVersions,
  manifestRows,
  readSystemArtifactMetadata,
} from '../deploy/system-manifest.js';
import { expectArguments } from './arguments.js';

export const usage = 'SYSTEM-ARTIFACT';
export const help = 'List the artifacts, repositories, refs and commits a system was built from.';

/** `morph generate-manifest SYSTEM-ARTIFACT` (docs/spec/morph.md 9.2): a tar, disk image or directory. */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('generate-manifest', args, 1, 1, 'one system artifact');
  const records = await readSystemArtifactMetadata(app, resolve(app.cwd, args[0]!));
  const versions = await guessVersions(app, records);
  app.out(formatManifest(manifestRows(records, versions)));
}
