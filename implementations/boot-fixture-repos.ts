/**
 * The repositories of the bootable test system (`fixtures/boot-system/`,
 * used by `yarns/booting.yarn`), made in `$DATADIR/gits` next to the
 * reference fixture's:
 *
 * - `linux`: `files/boot/vmlinuz`, Debian's cloud kernel;
 * - `linux-modules`: `files/lib/modules/<version>/`, only the modules that
 *   a virtio disk with btrfs needs and their dependencies, with
 *   `initramfs.modules` listing them in load order;
 * - `busybox`: `files/bin/busybox`, the host's static busybox, and its
 *   applets as symlinks (but `init`);
 * - `boot-init`, `initramfs-init`: the trees under `fixtures/boot-system/`.
 *
 * The kernel comes from `scripts/test-kernel.sh` (`apt-get download` into a
 * cache outside the checkout); nothing binary is in the repository. The
 * three generated repositories are made once per process and cloned for
 * each scenario.
 */
import { rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type StepContext, StepFailure } from '../src/yarn/api.js';
import { runChecked } from './context.js';

/** The drivers the root disk needs: virtio over PCI, the virtio block device, btrfs. */
export const ROOT_DISK_MODULES = ['virtio_pci', 'virtio_blk', 'btrfs'] as const;

/** Where the static busybox of Debian's busybox-static package is. */
const BUSYBOX = '/bin/busybox';

/** Kernel cache directory by process (the script costs ~2 s even when cached). */
let kernelDir: Promise<string> | undefined;

/** The unpacked kernel package: `<dir>/root/boot/vmlinuz-*`, `<dir>/root/lib/modules/*`. */
export function testKernel(ctx: StepContext): Promise<string> {
  if (!kernelDir) {
    const fetching = (async () => {
      const result = await ctx.run(['bash', join(ctx.srcdir, 'scripts', 'test-kernel.sh')]);
      const lines = result.stdout.trim().split('\n');
      if (result.exitCode !== 0 || lines.at(-1) === '') {
        const error = result.stderr.split('\n').find((l) => l.startsWith('ERROR:'));
        throw new StepFailure(error ?? `scripts/test-kernel.sh failed:\n${result.stderr}`);
      }
      return lines.at(-1) as string;
    })();
    kernelDir = fetching;
    fetching.catch(() => {
      kernelDir = undefined;
    });
  }
  return kernelDir;
}

/** Template repositories by process: made once, cloned per scenario. */
let templates: Promise<string> | undefined;
let templateDir: string | undefined;

/** Creates the boot repositories in `gits` (see the module comment). */
export async function createBootRepos(ctx: StepContext, gits: string): Promise<void> {
  if (!templates) {
    const making = makeTemplates(ctx);
    templates = making;
    making.catch(() => {
      templates = undefined;
    });
  }
  const dir = await templates;
  const fixtures = join(ctx.srcdir, 'fixtures', 'boot-system');
  await Promise.all([
    ...['linux', 'linux-modules', 'busybox'].map((name) =>
      runChecked(ctx, ['git', 'clone', '-q', '--bare', join(dir, name), join(gits, name)]),
    ),
    ...['boot-init', 'initramfs-init'].map((name) =>
      treeRepo(ctx, join(gits, name), async (repo) => {
        await runChecked(ctx, ['cp', '-a', `${join(fixtures, name)}/.`, repo]);
      }),
    ),
  ]);
}

async function makeTemplates(ctx: StepContext): Promise<string> {
  const kernel = join(await testKernel(ctx), 'root');
  if (!templateDir) {
    const dir = await mkdtemp(join(tmpdir(), 'boot-fixture-'));
    templateDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const dir = templateDir;
  const versions = await readdir(join(kernel, 'lib', 'modules'));
  const version = versions[0];
  if (version === undefined || versions.length !== 1) {
    throw new StepFailure(
      `expected one kernel version in ${kernel}/lib/modules, found ${versions.join(', ')}`,
    );
  }
  const linux = join(dir, 'linux');
  const modules = join(dir, 'linux-modules');
  const busybox = join(dir, 'busybox');
  rmSync(linux, { recursive: true, force: true });
  rmSync(modules, { recursive: true, force: true });
  rmSync(busybox, { recursive: true, force: true });
  await Promise.all([
    treeRepo(ctx, linux, async (repo) => {
      await mkdir(join(repo, 'files', 'boot'), { recursive: true });
      await copyFile(join(kernel, 'boot', `vmlinuz-${version}`), join(repo, 'files', 'boot', 'vmlinuz'));
    }),
    treeRepo(ctx, modules, async (repo) => {
      const from = join(kernel, 'lib', 'modules', version);
      const to = join(repo, 'files', 'lib', 'modules', version);
      const order = moduleLoadOrder(await readFile(join(from, 'modules.dep'), 'utf8'), ROOT_DISK_MODULES);
      for (const module of order) {
        await mkdir(dirname(join(to, module)), { recursive: true });
        await copyFile(join(from, module), join(to, module));
      }
      await writeFile(join(to, 'initramfs.modules'), order.map((m) => `${m}\n`).join(''));
    }),
    treeRepo(ctx, busybox, async (repo) => {
      await mkdir(join(repo, 'files', 'bin'), { recursive: true });
      await copyFile(BUSYBOX, join(repo, 'files', 'bin', 'busybox')).catch((err: Error) => {
        throw new StepFailure(`cannot copy ${BUSYBOX} (install busybox-static): ${err.message}`);
      });
      await chmod(join(repo, 'files', 'bin', 'busybox'), 0o755);
      // Its applets as symlinks (but init: the system brings its own).
      const applets = await runChecked(ctx, [BUSYBOX, '--list-full']);
      for (const applet of applets.stdout.split('\n')) {
        if (applet === '' || applet === 'bin/busybox' || /(^|\/)(init|linuxrc)$/.test(applet)) continue;
        await mkdir(dirname(join(repo, 'files', applet)), { recursive: true });
        await symlink('/bin/busybox', join(repo, 'files', applet));
      }
    }),
  ]);
  // Packed once, uncompressed (the kernel is compressed already): each
  // scenario's clone over git:// then sends the pack as it is.
  for (const repo of [linux, modules, busybox]) {
    await runChecked(ctx, ['git', '-c', 'pack.compression=0', 'repack', '-a', '-d', '-q'], { cwd: repo });
  }
  return dir;
}

/**
 * The modules `wanted` and everything they depend on, per a `modules.dep`
 * text, each after its dependencies (paths as in modules.dep).
 * @throws StepFailure when a wanted module is not in the list.
 */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon);
    deps.set(
      path,
      line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    );
    const name = (path.split('/').at(-1) ?? '').replace(/\.ko(\.\w+)?$/, '').replaceAll('-', '_');
    byName.set(name, path);
  }
  const order: string[] = [];
  const visit = (path: string): void => {
    if (order.includes(path)) return;
    for (const dep of deps.get(path) ?? []) visit(dep);
    order.push(path);
  };
  for (const name of wanted) {
    const path = byName.get(name);
    if (path === undefined) throw new StepFailure(`module ${name} is not in the kernel's modules.dep`);
    visit(path);
  }
  return order;
}

/** A repository on `master` with one commit of what `fill` puts in it. */
async function treeRepo(
  ctx: StepContext,
  repo: string,
  fill: (repo: string) => Promise<void>,
): Promise<void> {
  await runChecked(ctx, ['git', 'init', '-q', '-b', 'master', repo]);
  await fill(repo);
  await runChecked(ctx, ['git', '-c', 'core.compression=0', 'add', '.'], { cwd: repo });
  await runChecked(ctx, ['git', 'commit', '-q', '-m', 'Add files'], { cwd: repo });
}
