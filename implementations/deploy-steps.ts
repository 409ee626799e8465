import {
  appendFile,
  chmod,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { loopDevicesUnder, mountsUnder } from '../src/shared/leftover-removal.js';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import {
  type BackgroundMorph,
  interruptWhenStarted,
  startBackgroundMorph,
  waitForFile,
} from './background-morph.js';
import { describeFailure, requireVar, runChecked, setVar, varKey } from './context.js';
import { definitionsCheckout, morphArgv } from './morph-runner.js';

/** The deployment started by "the user starts deploying ... in the background". */
export const backgroundVar = varKey<BackgroundMorph>('deploy-background');

/** Waits until `path` exists, or fails after `seconds`. */
/** Runs `sh -c` on a disk image mounted read-only on a loop device; everything undone afterwards. */
export async function withMountedImage<T>(
  ctx: StepContext,
  image: string,
  fn: (mnt: string) => Promise<T>,
): Promise<T> {
  const mnt = await mkdtemp(join(ctx.datadir, 'inspect-'));
  const attach = await runChecked(ctx, ['losetup', '--show', '-f', '-r', '-P', image]);
  const device = attach.stdout.trim();
  try {
    const table = await ctx.run(['blkid', '-p', '-s', 'PTTYPE', '-o', 'value', image]);
    const partition = table.stdout.trim() === '' ? device : `${device}p1`;
    if (partition !== device) {
      await ctx.run(['partprobe', device]);
      await waitForFile(partition, 10, `${partition} to appear`);
    }
    await runChecked(ctx, ['mount', '-o', 'ro', partition, mnt]);
    try {
      return await fn(mnt);
    } finally {
      await ctx.run(['umount', mnt]);
    }
  } finally {
    await ctx.run(['losetup', '-d', device]);
    await rm(mnt, { recursive: true, force: true });
  }
}

export default [
  step(
    'GIVEN',
    /the system (\S+) in branch (\S+) runs the configuration extension (\S+)/,
    'adds NAME to configuration-extensions of the system morphology (a new key at the end of the file)',
    async (ctx, system, branch, extension) => {
      const file = join(definitionsCheckout(ctx, branch), system);
      const text = await readFile(file, 'utf8');
      check(!/^configuration-extensions:/m.test(text), `${system} already has configuration-extensions`);
      await appendFile(file, `${text.endsWith('\n') ? '' : '\n'}configuration-extensions:\n- ${extension}\n`);
    },
  ),
  step(
    'GIVEN',
    /a write extension called (\S+) in branch (\S+) that mounts a tmpfs and waits to be interrupted/,
    'writes NAME.write at the top of the definitions checkout (not executable: morph must run a copy)',
    async (ctx, name, branch) => {
      const file = join(definitionsCheckout(ctx, branch), `${name}.write`);
      await writeFile(
        file,
        [
          '#!/bin/sh',
          'set -e',
          'mkdir -p "$TMPDIR/mnt"',
          'mount -t tmpfs extension-tmpfs "$TMPDIR/mnt"',
          'echo "writing $2"',
          'touch "$DATADIR/write-started"',
          'exec sleep 600',
          '',
        ].join('\n'),
      );
      await chmod(file, 0o644);
    },
  ),
  step(
    'WHEN',
    /the user starts deploying the cluster (\S+) in branch (\S+) in the background/,
    'starts `morph deploy CLUSTER` in its own process group; its exit code is recorded when it ends',
    async (ctx, cluster, branch) => {
      const cwd = definitionsCheckout(ctx, branch);
      setVar(ctx, backgroundVar, await startBackgroundMorph(ctx, 'deploy', ['deploy', cluster], cwd));
    },
  ),
  step(
    'WHEN',
    /the background deployment gets (SIGINT|SIGTERM) once its write extension has started/,
    'waits for $DATADIR/write-started, then sends SIGINT to the process group (Ctrl-C) or SIGTERM to morph',
    async (ctx, signal) => {
      const background = requireVar(ctx, backgroundVar, 'the user starts deploying ... in the background');
      await interruptWhenStarted(ctx, background, {
        marker: ctx.path('write-started'),
        what: 'the write extension to start',
        signal: signal as 'SIGINT' | 'SIGTERM',
        subcommand: 'deploy',
      });
    },
    { timeoutMs: 420_000 },
  ),
  step(
    'WHEN',
    /the user deploys the clusters (\S+) and (\S+) in branch (\S+) at the same time/,
    'runs two `morph --local-changes=ignore deploy` concurrently; both must succeed',
    async (ctx, first, second, branch) => {
      const cwd = definitionsCheckout(ctx, branch);
      // Both would otherwise race to create the same temporary build ref in
      // this one system branch; the clusters are read from the working tree anyway.
      const results = await Promise.all(
        [first, second].map(async (cluster, i) =>
          ctx.run(await morphArgv(ctx, `deploy-${i + 1}`, ['--local-changes=ignore', 'deploy', cluster]), {
            cwd,
          }),
        ),
      );
      for (const result of results) {
        if (result.exitCode !== 0) throw new StepFailure(describeFailure(result));
      }
    },
  ),
  step(
    'THEN',
    /morph exited with code (\d+)/,
    'checks the exit code of the last attempted morph command ($DATADIR/morph-exit)',
    async (ctx, code) => {
      const recorded = (await readFile(ctx.path('morph-exit'), 'utf8').catch(() => 'none')).trim();
      check(recorded === code, `morph exited with ${recorded}, not ${code}`);
    },
  ),
  step(
    'THEN',
    /nothing is left mounted under the data directory/,
    'checks the mount table (/proc/self/mountinfo)',
    async (ctx) => {
      const mounts = mountsUnder(ctx.datadir);
      check(mounts.length === 0, `still mounted:\n${mounts.join('\n')}`);
    },
  ),
  step(
    'THEN',
    /no loop device is attached to a file in the data directory/,
    'checks every loop device, also those attached in dead mount namespaces (giving the kernel a moment to free autoclear devices)',
    async (ctx) => {
      let devices: string[] = [];
      for (let attempt = 0; attempt < 20; attempt++) {
        devices = loopDevicesUnder(ctx.datadir);
        if (devices.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new StepFailure(`loop devices left attached:\n${devices.join('\n')}`);
    },
  ),
  step(
    'THEN',
    /the deployment temporary directories are empty/,
    'checks that $DATADIR/tmp/deployments has no entries',
    async (ctx) => {
      const entries = await readdir(ctx.path('tmp', 'deployments')).catch(() => [] as string[]);
      check(entries.length === 0, `left in tmp/deployments: ${entries.join(' ')}`);
    },
  ),
  step(
    'THEN',
    /the artifact cache holds (\d+) shared checkouts?/,
    'counts the complete checkouts in $DATADIR/cache/deploy-checkouts (not the .partial ones)',
    async (ctx, count) => {
      const entries = await readdir(ctx.path('cache', 'deploy-checkouts')).catch(() => [] as string[]);
      const complete = entries.filter((name) => !name.startsWith('.'));
      check(complete.length === Number(count), `shared checkouts: ${entries.join(' ') || 'none'}`);
    },
  ),
  step(
    'THEN',
    /file (\S+) in tarball (\S+) (contains|does not contain) "(.*)"/,
    'extracts ./FILE from the tarball to stdout and checks whether it contains TEXT',
    async (ctx, file, tarball, verb, text) => {
      const result = await runChecked(ctx, [
        'tar',
        '-xOf',
        ctx.path(tarball),
        `./${file.replace(/^\.?\//, '')}`,
      ]);
      const wanted = verb === 'contains';
      check(
        result.stdout.includes(text) === wanted,
        `${file} in ${tarball} ${verb} "${text}" is false:\n${result.stdout}`,
      );
    },
  ),
  step(
    'THEN',
    /disk image (\S+) is in (raw|qcow2) format/,
    'checks `qemu-img info`',
    async (ctx, image, format) => {
      const result = await runChecked(ctx, ['qemu-img', 'info', '--output=json', ctx.path(image)]);
      const info = JSON.parse(result.stdout) as { format: string };
      check(info.format === format, `${image} is ${info.format}, not ${format}`);
    },
  ),
  step(
    'THEN',
    /disk image (\S+) has a bootable partition/,
    'checks the MBR partition table with `sfdisk --json`',
    async (ctx, image) => {
      const result = await runChecked(ctx, ['sfdisk', '--json', ctx.path(image)]);
      const table = JSON.parse(result.stdout) as {
        partitiontable: { partitions?: { bootable?: boolean }[] };
      };
      const partitions = table.partitiontable.partitions ?? [];
      check(
        partitions.length === 1 && partitions[0]?.bootable === true,
        `unexpected table:\n${result.stdout}`,
      );
    },
  ),
  step(
    'THEN',
    /disk image (\S+) boots version (\S+)/,
    'mounts the image read-only; checks that systems/default is LABEL, that its orig and run are subvolumes, ' +
      "that run's fstab mounts / (by this filesystem's UUID where it names one) and state subvolumes that exist, " +
      'and that extlinux.conf boots systems/default/run',
    async (ctx, image, label) => {
      const problems = await withMountedImage(ctx, ctx.path(image), async (mnt) => {
        const found: string[] = [];
        const target = await readlink(join(mnt, 'systems', 'default')).catch(() => 'nothing');
        if (target !== label) return [`systems/default of ${image} is ${target}, not ${label}`];
        const isSubvolume = async (path: string) => (await stat(path).catch(() => undefined))?.ino === 256;
        for (const name of ['orig', 'run']) {
          if (!(await isSubvolume(join(mnt, 'systems', label, name))))
            found.push(`systems/${label}/${name} is not a subvolume`);
        }
        const uuid = (
          await runChecked(ctx, ['findmnt', '-n', '-o', 'UUID', '--mountpoint', mnt])
        ).stdout.trim();
        const fstab = await readFile(join(mnt, 'systems', label, 'run', 'etc', 'fstab'), 'utf8').catch(
          () => '',
        );
        const entries = fstab
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.startsWith('#'))
          .map((line) => line.trim().split(/\s+/));
        const root = entries.find((fields) => fields[1] === '/');
        if (root?.[2] !== 'btrfs') found.push(`run/etc/fstab has no btrfs / entry:\n${fstab}`);
        else if (root[0]?.startsWith('UUID=') && root[0] !== `UUID=${uuid}`) {
          found.push(`run/etc/fstab mounts / from ${root[0]}, but the filesystem is UUID=${uuid}`);
        }
        for (const fields of entries) {
          const subvol = /(?:^|,)subvol=\/?(state\/[^,]+)/.exec(fields[3] ?? '')?.[1];
          if (subvol !== undefined && !(await isSubvolume(join(mnt, subvol))))
            found.push(`${subvol} is not a subvolume`);
        }
        const extlinux = await readFile(join(mnt, 'extlinux.conf'), 'utf8').catch(() => undefined);
        if (extlinux !== undefined && !/rootflags=subvol=systems\/default\/run\b/.test(extlinux)) {
          found.push(`extlinux.conf does not boot systems/default/run:\n${extlinux}`);
        }
        return found;
      });
      check(problems.length === 0, problems.join('\n'));
    },
  ),
  step(
    'THEN',
    /file (\S+) in disk image (\S+) (contains|does not contain) "(.*)"/,
    'mounts the image read-only and checks whether FILE of the default version (systems/default/run/FILE) contains TEXT',
    async (ctx, file, image, verb, text) => {
      const content = await withMountedImage(ctx, ctx.path(image), (mnt) =>
        readFile(join(mnt, 'systems', 'default', 'run', file), 'utf8').catch(() => ''),
      );
      const wanted = verb === 'contains';
      check(content.includes(text) === wanted, `${file} in ${image} ${verb} "${text}" is false:\n${content}`);
    },
  ),
  step(
    'THEN',
    /disk images (\S+) and (\S+) have different filesystem UUIDs/,
    'compares `blkid` of the two images (whole images: no partition table)',
    async (ctx, a, b) => {
      const uuid = async (image: string) =>
        (
          await runChecked(ctx, ['blkid', '-c', '/dev/null', '-s', 'UUID', '-o', 'value', ctx.path(image)])
        ).stdout.trim();
      const [first, second] = [await uuid(a), await uuid(b)];
      check(first !== '' && first !== second, `${a} is ${first}, ${b} is ${second}`);
    },
  ),
  step(
    'THEN',
    /the artifact cache holds (\d+) pristine disk images?/,
    "counts rawdisk's complete pristine images beside the shared checkouts ($DATADIR/cache/deploy-checkouts/*/rawdisk-pristine-*)",
    async (ctx, count) => {
      const dir = ctx.path('cache', 'deploy-checkouts');
      const found: string[] = [];
      for (const checkout of await readdir(dir).catch(() => [] as string[])) {
        for (const name of await readdir(join(dir, checkout)).catch(() => [] as string[])) {
          if (name.startsWith('rawdisk-pristine-')) found.push(`${checkout}/${name}`);
        }
      }
      check(found.length === Number(count), `pristine images: ${found.join(' ') || 'none'}`);
    },
  ),
  step(
    'THEN',
    /the deployment status (includes|does not include) "(.*)"/,
    'checks the status lines of the last morph deploy ($DATADIR/out-deploy)',
    async (ctx, verb, text) => {
      const output = await readFile(ctx.path('out-deploy'), 'utf8').catch(() => '');
      check(
        output.includes(text) === (verb === 'includes'),
        `the deploy output ${verb} "${text}" is false:\n${output}`,
      );
    },
  ),
  step(
    'THEN',
    /the manifest of (\S+) lists (\S+)/,
    'runs `morph generate-manifest FILE` and checks its output contains TEXT',
    async (ctx, file, text) => {
      const result = await ctx.run(
        await morphArgv(ctx, 'generate-manifest', ['generate-manifest', ctx.path(file)]),
      );
      if (result.exitCode !== 0) throw new StepFailure(describeFailure(result));
      check(result.stdout.includes(text), `the manifest does not list ${text}:\n${result.stdout}`);
    },
  ),
];
