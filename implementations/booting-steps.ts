/**
 * Steps of `yarns/booting.yarn`: boot a deployed disk image under QEMU
 * (qemu-boot.ts) and check what the bootable test system's init reported
 * on the serial console (`BOOT-TEST ...` lines, see
 * `fixtures/boot-system/boot-init/files/sbin/init`).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { arch } from 'node:os';
import { join } from 'node:path';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { testKernel } from './boot-fixture-repos.js';
import { getVar, requireVar, runChecked, setVar, varKey } from './context.js';
import { withMountedImage } from './deploy-steps.js';
import { type BootResult, bootImage, chooseAccelerator } from './qemu-boot.js';

/** Every boot of the scenario, in order. */
const bootsVar = varKey<BootResult[]>('boots');

/**
 * A boot of the test system uses 6-8 s of CPU under TCG: it may use 60 s,
 * and take 240 s of wall-clock time on a loaded machine (where a boot was
 * seen to take 110 s).
 */
const BOOT_CPU_LIMIT_MS = 60_000;
const BOOT_TIMEOUT_MS = 240_000;

const BOOTS = 'the user boots disk image IMAGE';

export default [
  step(
    'ASSUMING',
    /the host is an x86_64 machine/,
    "skips the scenario unless this machine is x86_64 (the bootable test system's kernel is Debian's for amd64)",
    async () => {
      check(arch() === 'x64', `this machine is ${arch()}, not x86_64`);
    },
  ),
  step(
    'WHEN',
    /the user (boots|attempts to boot) disk image (\S+)/,
    'boots $DATADIR/IMAGE under QEMU (KVM if it works, else TCG) until it powers off, panics or times out; ' +
      '"boots" fails unless the init of the test system ran to its end',
    async (ctx, verb, image) => {
      const result = await boot(ctx, ctx.path(image));
      if (verb === 'boots' && result.end !== 'powered-off') throw new StepFailure(describeBoot(result));
    },
    { timeoutMs: BOOT_TIMEOUT_MS + 30_000 },
  ),
  step(
    'THEN',
    /the boot failed with a kernel panic saying "(.*)"/,
    'checks that the last boot ended in a kernel panic (not a timeout) whose line contains TEXT',
    async (ctx, text) => {
      const result = lastBoot(ctx);
      check(result.end === 'panic', `the boot did not panic:\n${describeBoot(result)}`);
      ctx.log(`panic line: ${result.panicLine}`);
      check(
        result.panicLine?.includes(text),
        `the kernel panicked with "${result.panicLine}", not "${text}"`,
      );
    },
  ),
  step(
    'THEN',
    /the booted system runs version (\S+)/,
    'checks that the root filesystem of the last boot was the subvolume systems/LABEL/run, and that its ' +
      "deployment.meta has VERSION_LABEL=LABEL (none for factory, the first deployment's)",
    async (ctx, label) => {
      const result = lastBoot(ctx);
      const root = marker(result, 'root');
      check(
        root === `/systems/${label}/run`,
        `the booted root subvolume is ${root}, not /systems/${label}/run`,
      );
      const reported = marker(result, 'version-label');
      const expected = label === 'factory' ? 'none' : label;
      check(reported === expected, `the booted system's VERSION_LABEL is ${reported}, not ${expected}`);
    },
  ),
  step(
    'THEN',
    /(the booted system|the system booted first) is (?:still )?the one in version (\S+) of disk image (\S+)/,
    "checks that the system artifact's cache key that the (last or first) boot reported is the one in " +
      'systems/LABEL/run/baserock/*-rootfs.meta of the image (mounted read-only)',
    async (ctx, which, label, image) => {
      const boots = requireVar(ctx, bootsVar, BOOTS);
      const result = which === 'the booted system' ? boots.at(-1) : boots[0];
      if (result === undefined) throw new StepFailure(`this step needs "${BOOTS}" to have run first`);
      const onDisk = await withMountedImage(ctx, ctx.path(image), async (mnt) => {
        const baserock = join(mnt, 'systems', label, 'run', 'baserock');
        const metas = (await readdir(baserock)).filter((name) => name.endsWith('-rootfs.meta'));
        check(metas.length === 1, `${baserock} has ${metas.join(', ') || 'no'} system metadata`);
        const meta = JSON.parse(await readFile(join(baserock, metas[0] as string), 'utf8')) as MetaRecord;
        return { name: meta['artifact-name'], key: meta['cache-key'] };
      });
      const booted = artifactCacheKey(result, onDisk.name);
      ctx.log(`${onDisk.name}: booted ${booted}, version ${label} on the disk ${onDisk.key}`);
      check(
        booted === onDisk.key,
        `the boot ran ${onDisk.name} ${booted}, version ${label} is ${onDisk.key}`,
      );
    },
  ),
  step(
    'THEN',
    /the booted system says "(.*)"/,
    "checks the first line of the booted system's /etc/issue",
    async (ctx, text) => {
      const issue = marker(lastBoot(ctx), 'issue');
      check(issue?.includes(text), `the booted system says "${issue}", not "${text}"`);
    },
  ),
  step(
    'THEN',
    /the booted system mounted its state subvolumes with mount -a/,
    "checks that the init's `mount -a` succeeded and /home, /root, /opt, /srv and /var are the subvolumes state/<dir>",
    async (ctx) => {
      const result = lastBoot(ctx);
      const mountAll = marker(result, 'mount-a');
      check(mountAll === 'ok', `mount -a in the booted system: ${mountAll}`);
      for (const dir of ['home', 'root', 'opt', 'srv', 'var']) {
        const subvolume = marker(result, `state /${dir}`);
        check(subvolume === `/state/${dir}`, `/${dir} in the booted system: ${subvolume}, not /state/${dir}`);
      }
    },
  ),
  step(
    'THEN',
    /the booted system differs from the one booted first/,
    'checks that the system artifacts (cache keys) of the first and the last boot of the scenario differ',
    async (ctx) => {
      const boots = requireVar(ctx, bootsVar, BOOTS);
      const first = boots[0];
      const last = boots.at(-1);
      check(first !== undefined && last !== undefined && boots.length > 1, 'the scenario booted only once');
      const key = (r: BootResult) =>
        r.markers.find((m) => m.startsWith('artifact ') && m.includes('-rootfs '));
      check(key(first) !== key(last), `both boots ran ${key(last)}`);
    },
  ),
];

/** Boots `image` (its format from `qemu-img info`) and records the result. */
async function boot(ctx: StepContext, image: string): Promise<BootResult> {
  const info = await runChecked(ctx, ['qemu-img', 'info', '--output=json', image]);
  const format = (JSON.parse(info.stdout) as { format?: string }).format ?? 'raw';
  const kernels = join(await testKernel(ctx), 'root', 'boot');
  const vmlinuz = (await readdir(kernels)).find((name) => name.startsWith('vmlinuz-'));
  if (vmlinuz === undefined) throw new StepFailure(`no vmlinuz-* in ${kernels}`);
  const { accel, reason } = await chooseAccelerator(ctx, join(kernels, vmlinuz));
  ctx.log(`accelerator: ${accel} (${reason})`);
  const boots = getVar(ctx, bootsVar) ?? [];
  setVar(ctx, bootsVar, boots);
  const result = await bootImage(ctx, {
    disk: { image, format },
    consoleFile: ctx.path(`console-${boots.length + 1}.log`),
    timeoutMs: BOOT_TIMEOUT_MS,
    cpuLimitMs: BOOT_CPU_LIMIT_MS,
    accel,
  });
  boots.push(result);
  const size = await stat(image);
  ctx.log(
    `boot ${boots.length} of ${image} (${format}, ${(size.size / 2 ** 20).toFixed(0)} MiB, ` +
      `${(size.blocks * 512) / 2 ** 20} MiB allocated): ${result.end} after ${result.seconds.toFixed(1)} s ` +
      `with ${accel}`,
  );
  for (const line of result.markers) ctx.log(`  ${line}`);
  return result;
}

function lastBoot(ctx: StepContext): BootResult {
  const result = requireVar(ctx, bootsVar, BOOTS).at(-1);
  if (result === undefined) throw new StepFailure(`this step needs "${BOOTS}" to have run first`);
  return result;
}

/** The rest of the marker line that starts with `name ` (undefined if there is none). */
function marker(result: BootResult, name: string): string | undefined {
  const line = result.markers.find((m) => m.startsWith(`${name} `));
  return line?.slice(name.length + 1);
}

/** The cache key the booted system reported for artifact `name`. */
function artifactCacheKey(result: BootResult, name: string): string | undefined {
  return marker(result, `artifact ${name}`)?.match(/cache-key=(\S*)/)?.[1];
}

/** The fields of a `.meta` file that the steps read. */
interface MetaRecord {
  'artifact-name': string;
  'cache-key': string;
}

/** What a failed boot showed: how it ended, the panic line, the end of the console. */
export function describeBoot(result: BootResult): string {
  const lines = result.console.trimEnd().split(/\r?\n/);
  const failed = result.markers.find((m) => m.includes('failed'));
  return [
    `the boot ended: ${result.end} after ${result.seconds.toFixed(1)} s (${result.accel})`,
    ...(result.panicLine ? [`kernel panic: ${result.panicLine}`] : []),
    ...(failed ? [`the system said: ${failed}`] : []),
    'end of the console:',
    ...lines.slice(-25),
  ].join('\n');
}
