import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../shared/exec.js';
import { invariant } from '../../../shared/invariant.js';
import { artifactRef } from '../../cache/artifact-ref.js';
import { MorphError } from '../../errors.js';
import { artifactPlan } from '../assemble/artifact-plan.js';
import { formatMetadata } from '../assemble/metadata-record.js';
import { clampMtimes, HERMETIC_ENVIRONMENT, makeOwnDirectory, writeOwnFile } from '../graph/hermetic.js';
import type { KeyedSystemSource } from '../graph/keyed-source.js';
import { devicesMetadata, storeArtifactDevices } from '../stage/artifact-devices.js';
import type { DeviceNode } from '../stage/device-nodes.js';
import { artifactDevices, createStagingArea, needsLdconfig } from '../stage/staging-area.js';
import type { BuildContext } from './build-context.js';
import { runArgvInSandbox } from './sandbox.js';
import { SourceTiming } from './source-timing.js';
import { stratumChunkRefs, systemLayer } from './stratum-builder.js';

const OS_RELEASE = `NAME="Baserock"
ID=baserock
HOME_URL="http://wiki.baserock.org"
SUPPORT_URL="http://wiki.baserock.org/mailinglist"
BUG_REPORT_URL="http://wiki.baserock.org/mailinglist"
`;

/**
 * Assembles and stores a system artifact (docs/spec/morph.md 5.14): hard-link union
 * checkouts of every chunk artifact of the selected stratum artifacts plus
 * their `.meta`, ldconfig, `baserock/<system>-rootfs.meta`, `etc/os-release`,
 * then the system-integration scripts chrooted in bubblewrap. The scripts
 * run on an overlay over the checkout, so they can never write through the
 * hard links into the cache. Device nodes are recorded beside (artifact-devices.ts).
 * @throws MorphError build/empty-system (no chunk file at all), build/system-integration-failed.
 */
export async function buildSystem(ctx: BuildContext, source: KeyedSystemSource): Promise<void> {
  const timing = new SourceTiming();
  const artifact = source.artifacts[0];
  invariant(artifact, `${source.kind} source ${source.name} has no artifact`);
  const staging = await createStagingArea(ctx.app.settings.tempdir);
  const root = join(staging, `${source.name}.inst`);
  const mounts: string[] = [];
  try {
    const devices: DeviceNode[] = [];
    await timing.stage('install-artifacts', async () => {
      await mkdir(root, { recursive: true });
      await chmod(root, 0o755);
      // One layered commit per stratum artifact (most were layered when the
      // stratum was built), then those layered together: the same tree as
      // layering every artifact in order.
      const layers: Promise<string>[] = [];
      let count = 0;
      for (const stratum of source.dependencies) {
        const stratumRef = artifactRef(stratum.source.cacheKey, 'stratum', stratum.name);
        const chunkRefs = stratumChunkRefs(stratum.source);
        for (const ref of chunkRefs) devices.push(...(await artifactDevices(ctx.cache, ref)));
        layers.push(ctx.cache.layered(systemLayer(chunkRefs, stratumRef)));
        count += chunkRefs.length + 1;
      }
      ctx.status.chatty(`Installing ${count} artifacts`);
      await ctx.cache.checkoutMany(await Promise.all(layers), root, { union: true, hardlink: true });
    });
    if (!(await holdsAnyFile(root, ['baserock']))) {
      throw new MorphError('build', 'empty-system', `system ${source.name} has no file from any chunk`, {
        location: { file: source.file },
        hint:
          'its staging and test chunks installed nothing into $DESTDIR (bootstrap chunks never reach ' +
          'the system; two chunk specs naming one morph file build once): see docs/build-modes.md',
      });
    }
    if (needsLdconfig(root)) await ctx.app.runApp(['ldconfig', '-r', root]);
    const plan = artifactPlan(source, artifact);
    await makeOwnDirectory(join(root, 'baserock'));
    await writeOwnFile(
      join(root, 'baserock', `${artifact.name}.meta`),
      formatMetadata({ ...plan.record, 'artifact-name': artifact.name, contents: [] }),
    );
    await makeOwnDirectory(join(root, 'etc'));
    await writeOwnFile(join(root, 'etc', 'os-release'), OS_RELEASE);

    let tree = root;
    const scriptsDir = join(root, 'baserock', 'system-integration');
    if (existsSync(scriptsDir)) {
      tree = await writableView(root, staging, mounts);
      await timing.stage('system-integration', () => runSystemIntegration(ctx, tree));
    }
    // Only what morph and the scripts wrote is newer than the epoch (checked-out files have mtime 0).
    clampMtimes(tree);
    await timing.stage('commit', () =>
      ctx.cache.commitTree(tree, plan.ref, {
        subject: artifact.name,
        metadata: devicesMetadata(devices),
        linkCheckoutSpeedup: true,
      }),
    );
    await storeArtifactDevices(ctx.cache, plan.ref, devices, staging);
    await timing.write(ctx.cache.sourceMetaPath(source.cacheKey));
  } finally {
    for (const mount of mounts.reverse()) await runCommand(['umount', mount], { allowFailure: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * A writable tree showing `root`: an overlay (root only) whose upper layer
 * takes every change, else a copy (which breaks the hard links).
 */
async function writableView(root: string, staging: string, mounts: string[]): Promise<string> {
  const upper = join(staging, 'overlay-upper');
  const work = join(staging, 'overlay-work');
  const merged = join(staging, 'overlay');
  await mkdir(upper);
  await chmod(upper, 0o755); // the overlay's root takes the upper directory's mode
  await mkdir(work);
  await mkdir(merged);
  const mounted = await runCommand(
    ['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${root},upperdir=${upper},workdir=${work}`, merged],
    { allowFailure: true },
  );
  if (mounted.exitCode === 0) {
    mounts.push(merged);
    return merged;
  }
  await rm(merged, { recursive: true, force: true });
  await runCommand(['cp', '-a', root, merged]);
  return merged;
}

async function runSystemIntegration(ctx: BuildContext, root: string): Promise<void> {
  const dir = join(root, 'baserock', 'system-integration');
  const env = { PATH: '/bin:/usr/bin:/sbin:/usr/sbin', ...HERMETIC_ENVIRONMENT };
  for (const name of (await readdir(dir)).sort()) {
    const script = `baserock/system-integration/${name}`;
    ctx.status.chatty(`Running system integration script ${script}`);
    const result = await runArgvInSandbox({ kind: 'writable-chroot', root, cwd: '/' }, [script], env);
    if (result.exitCode !== 0) {
      throw new MorphError(
        'build',
        'system-integration-failed',
        `system integration script ${script} failed with exit code ${result.exitCode}`,
        { hint: result.output.trim() || undefined },
      );
    }
  }
}

/** True when `dir` holds anything but directories, below the top-level entries `except`. */
async function holdsAnyFile(dir: string, except: readonly string[] = []): Promise<boolean> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (except.includes(entry.name)) continue;
    if (!entry.isDirectory() || (await holdsAnyFile(join(dir, entry.name)))) return true;
  }
  return false;
}
