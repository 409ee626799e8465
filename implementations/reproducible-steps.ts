/**
 * Steps of yarns/reproducible.yarn: the same system built and deployed
 * twice from scratch, each time with its own cache and temporary
 * directories, umask and time zone, then compared artifact by artifact,
 * archive by archive and disk image by disk image. Every comparison that
 * fails says what differs (ostree diff, then the first differing file and
 * its metadata).
 */
import { cp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { check, type StepContext, StepFailure, step } from '../src/yarn/api.js';
import { describeFailure, getVar, quote, requireVar, runChecked, setVar, varKey } from './context.js';
import { definitionsCheckout, morphArgv } from './morph-runner.js';

/** How one of the builds runs morph. */
interface BuildSetting {
  cachedir: string;
  tempdir: string;
  umask: string;
  tz: string;
}

const buildsVar = varKey<Map<string, BuildSetting>>('reproducible-builds');
const lastEndVar = varKey<number>('reproducible-last-end');

export default [
  step(
    'GIVEN',
    /the reproducibility chunks are in the definitions/,
    'adds repo repro-chunk (fixtures/repro-chunk) and the morphologies of fixtures/reproducible to the morphs repo',
    async (ctx) => {
      const gits = ctx.path('gits');
      const chunk = join(gits, 'repro-chunk');
      await git(ctx, ctx.datadir, 'init', '-q', '-b', 'master', chunk);
      await cp(join(ctx.srcdir, 'fixtures', 'repro-chunk'), chunk, { recursive: true });
      await git(ctx, chunk, 'add', '.');
      await git(ctx, chunk, 'commit', '-q', '-m', 'Add the reproducibility sources');
      const morphs = join(gits, 'morphs');
      await cp(join(ctx.srcdir, 'fixtures', 'reproducible'), morphs, { recursive: true });
      const arch = (await runChecked(ctx, ['uname', '-m'])).stdout.trim();
      const system = join(morphs, 'systems', 'repro-system.morph');
      const text = await readFile(system, 'utf8');
      await writeFile(system, text.replaceAll('@ARCH@', arch === 'aarch64' ? 'armv8l64' : arch));
      await git(ctx, morphs, 'add', '.');
      await git(ctx, morphs, 'commit', '-q', '-m', 'Add the reproducibility system');
    },
  ),
  step(
    'WHEN',
    /build (\S+) builds the system (\S+) in branch (\S+) with umask (\d+) and TZ (\S+)/,
    'runs `morph build SYSTEM` with cachedir $DATADIR/NAME/cache, tempdir $DATADIR/NAME/tmp, that umask and TZ, at least a second after the previous build',
    async (ctx, name, system, branch, umask, tz) => {
      const setting = {
        cachedir: ctx.path(name, 'cache'),
        tempdir: ctx.path(name, 'tmp'),
        umask,
        tz,
      };
      let builds = getVar(ctx, buildsVar);
      if (!builds) {
        builds = new Map();
        setVar(ctx, buildsVar, builds);
      }
      builds.set(name, setting);
      const lastEnd = getVar(ctx, lastEndVar);
      if (lastEnd !== undefined) {
        const wait = lastEnd + 1100 - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await runMorphAs(ctx, setting, `build-${name}`, ['build', system], definitionsCheckout(ctx, branch));
      setVar(ctx, lastEndVar, Date.now());
    },
  ),
  step(
    'WHEN',
    /build (\S+) deploys the cluster (\S+) in branch (\S+) and (\S+) is kept as (\S+)/,
    "runs `morph deploy CLUSTER` with that build's settings, then moves LOCATION (relative to the definitions checkout) to $DATADIR/KEPT",
    async (ctx, name, cluster, branch, location, kept) => {
      const setting = buildSetting(ctx, name);
      const checkout = definitionsCheckout(ctx, branch);
      await runMorphAs(ctx, setting, `deploy-${name}`, ['deploy', cluster], checkout);
      await rename(join(checkout, location), ctx.path(kept));
    },
  ),
  step(
    'THEN',
    /builds (\S+) and (\S+) stored the same artifact commits, among them (.+)/,
    'compares every artifact ref and its commit checksum in the two caches (also checks that the named artifacts are there)',
    async (ctx, first, second, names) => {
      const a = await artifactRefs(buildSetting(ctx, first).cachedir);
      const b = await artifactRefs(buildSetting(ctx, second).cachedir);
      const missing = names
        .split(/,\s*|\s+and\s+/)
        .filter((name) => ![...a.keys()].some((ref) => ref.endsWith(`/${name}`)));
      check(missing.length === 0, `build ${first} stored no artifact called ${missing.join(', ')}`);
      const refs = [...new Set([...a.keys(), ...b.keys()])].sort();
      const differing = refs.filter((ref) => a.get(ref) !== b.get(ref));
      ctx.log(`${refs.length} artifact refs, ${differing.length} differing`);
      if (differing.length === 0) return;
      const lines = [`${differing.length} of ${refs.length} artifact refs differ:`];
      for (const ref of differing.slice(0, 10)) {
        lines.push(`  ${ref}: ${a.get(ref) ?? '(absent)'} vs ${b.get(ref) ?? '(absent)'}`);
      }
      const both = differing.filter((ref) => a.has(ref) && b.has(ref));
      const shown = both.find((ref) => ref.includes('/chunk/')) ?? both[0];
      if (shown) {
        lines.push(
          await describeCommitDifference(ctx, {
            ref: shown,
            a: { repo: repoOf(buildSetting(ctx, first).cachedir), commit: a.get(shown) as string },
            b: { repo: repoOf(buildSetting(ctx, second).cachedir), commit: b.get(shown) as string },
          }),
        );
      }
      throw new StepFailure(lines.join('\n'));
    },
  ),
  step(
    'THEN',
    /files (\S+) and (\S+) are identical byte for byte/,
    'cmp $DATADIR/A $DATADIR/B; on a difference shows the first differing member of the two tar listings',
    async (ctx, first, second) => {
      const cmp = await ctx.run(['cmp', ctx.path(first), ctx.path(second)]);
      if (cmp.exitCode === 0) return;
      const list = async (file: string) =>
        (await ctx.run(['tar', '-tvf', ctx.path(file), '--full-time', '--numeric-owner'])).stdout.split('\n');
      throw new StepFailure(
        [
          cmp.stdout.trim() || describeFailure(cmp),
          firstDifference(await list(first), await list(second)),
        ].join('\n'),
      );
    },
  ),
  step(
    'THEN',
    /disk images (\S+) and (\S+) have the same filesystem UUID and the same contents/,
    'compares the UUIDs (blkid) and, mounting each in turn, every file: path, type, mode, owner, mtime, size, SHA-256, symlink target, xattrs',
    async (ctx, first, second) => {
      const uuid = async (image: string) =>
        (
          await runChecked(ctx, ['blkid', '-c', '/dev/null', '-o', 'value', '-s', 'UUID', ctx.path(image)])
        ).stdout.trim();
      const [uuidA, uuidB] = [await uuid(first), await uuid(second)];
      check(uuidA !== '' && uuidA === uuidB, `filesystem UUIDs differ: ${uuidA} vs ${uuidB}`);
      const a = await imageListing(ctx, first);
      const b = await imageListing(ctx, second);
      check(a.length > 10, `${first} lists only ${a.length} entries`);
      const difference = firstDifference(a, b);
      if (difference !== '')
        throw new StepFailure(`the contents of ${first} and ${second} differ:\n${difference}`);
    },
  ),
  step(
    'THEN',
    /disk images (\S+) and (\S+) differ in bytes only in the documented filesystem-internal fields/,
    'compares the btrfs superblocks (dump-super -f) with the fields of docs/deploy.md masked, and the subvolumes (ids, parents, names); logs how many bytes differ',
    async (ctx, first, second) => {
      const superblock = async (image: string) =>
        maskSuperblock(
          (await runChecked(ctx, ['btrfs', 'inspect-internal', 'dump-super', '-f', ctx.path(image)])).stdout,
        );
      const a = await superblock(first);
      check(a.length > 20, `no btrfs superblock read from ${first}`);
      const differs = firstDifference(a, await superblock(second));
      if (differs !== '')
        throw new StepFailure(`the superblocks differ beyond the documented fields:\n${differs}`);
      const subvolumes = async (image: string) =>
        (
          await runChecked(ctx, ['btrfs', 'inspect-internal', 'dump-tree', '-t', 'root', ctx.path(image)])
        ).stdout
          .split('\n')
          .map(
            (line) =>
              /key \((\S+) ROOT_REF (\d+)\)/.exec(line)?.slice(1).join(' ') ??
              /root ref key dirid \d+ sequence \d+ name (.*)/.exec(line)?.[1],
          )
          .filter((line): line is string => line !== undefined);
      const volumes = await subvolumes(first);
      check(volumes.length >= 10, `${first} has only ${volumes.length / 2} subvolumes`);
      const subvolumeDifference = firstDifference(volumes, await subvolumes(second));
      if (subvolumeDifference !== '') throw new StepFailure(`the subvolumes differ:\n${subvolumeDifference}`);
      const count = await ctx.sh(`cmp -l ${quote(ctx.path(first))} ${quote(ctx.path(second))} | wc -l`);
      ctx.log(`bytes differing between ${first} and ${second}: ${count.stdout.trim()} (documented)`);
    },
  ),
];

/**
 * The superblock fields that differ between two btrfs images made the same
 * way (docs/deploy.md, "What still differs between two disk images"): the
 * transaction generation and everything it moves (tree roots, their
 * generations and the backup roots), space used by metadata, checksums,
 * and the UUIDs mkfs.btrfs draws itself (device, chunk tree).
 */
const MASKED_SUPERBLOCK_FIELDS = [
  'superblock:',
  'csum',
  'bytes_used',
  'generation',
  'root',
  'chunk_root_generation',
  'chunk_root',
  'cache_generation',
  'uuid_tree_generation',
  'log_root',
  'log_root_transid',
  'dev_item.uuid',
  'dev_item.bytes_used',
  'dev_uuid',
  'chunk_tree_uuid',
  'backup_tree_root:',
  'backup_chunk_root:',
  'backup_extent_root:',
  'backup_fs_root:',
  'backup_dev_root:',
  'csum_root:',
  'backup_total_bytes:',
  'backup_bytes_used:',
  'backup_num_devices:',
];

/** `dump-super -f` output with the masked fields' values replaced by `*`. */
function maskSuperblock(text: string): string[] {
  return text.split('\n').map((line) => {
    const field = line.trim().split(/\s+/)[0] ?? '';
    return MASKED_SUPERBLOCK_FIELDS.includes(field) ? `${line.match(/^\s*/)?.[0] ?? ''}${field} *` : line;
  });
}

/** Runs morph with one build's cachedir, tempdir, umask and time zone; fails the step on an error. */
async function runMorphAs(
  ctx: StepContext,
  setting: BuildSetting,
  logName: string,
  args: string[],
  cwd: string,
): Promise<void> {
  const argv = await morphArgv(ctx, logName, [
    `--cachedir=${setting.cachedir}`,
    `--tempdir=${setting.tempdir}`,
    ...args,
  ]);
  const result = await ctx.run(['sh', '-c', 'umask "$0" && exec "$@"', setting.umask, ...argv], {
    cwd,
    env: { TZ: setting.tz },
  });
  if (result.exitCode !== 0) throw new StepFailure(describeFailure(result));
}

function buildSetting(ctx: StepContext, name: string): BuildSetting {
  const setting = requireVar(ctx, buildsVar, `build ${name} builds the system ...`).get(name);
  if (!setting) throw new StepFailure(`no build called ${name} ran in this scenario`);
  return setting;
}

function repoOf(cachedir: string): string {
  return join(cachedir, 'artifacts', 'repo');
}

/** Every ref of a cache's artifact repository and its commit checksum. */
async function artifactRefs(cachedir: string): Promise<Map<string, string>> {
  const heads = join(repoOf(cachedir), 'refs', 'heads');
  const refs = new Map<string, string>();
  for (const entry of await readdir(heads, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    refs.set(path.slice(heads.length + 1), (await readFile(path, 'utf8')).trim());
  }
  return refs;
}

/**
 * What differs between two commits of one ref in two repositories:
 * `ostree diff` of the two (both pulled into a scratch repository), then
 * the first differing line of their recursive listings (mode, owner, size,
 * checksum, path).
 */
async function describeCommitDifference(
  ctx: StepContext,
  options: { ref: string; a: { repo: string; commit: string }; b: { repo: string; commit: string } },
): Promise<string> {
  const scratch = ctx.path('commit-diff-repo');
  await ctx.run(['ostree', `--repo=${scratch}`, 'init', '--mode=bare']);
  for (const side of [options.a, options.b]) {
    await ctx.run(['ostree', `--repo=${scratch}`, 'pull-local', side.repo, side.commit]);
  }
  const diff = await ctx.run(['ostree', `--repo=${scratch}`, 'diff', options.a.commit, options.b.commit]);
  // A directory's line carries the checksum of its whole subtree: compare its own metadata only.
  const list = async (commit: string) =>
    (await ctx.run(['ostree', `--repo=${scratch}`, 'ls', '-R', '-C', commit])).stdout
      .split('\n')
      .map((line) => line.replace(/^(d\S+\s+\d+\s+\d+\s+\d+)\s+[0-9a-f]{64}\s+([0-9a-f]{64})/, '$1 $2'));
  return [
    `${options.ref}: ostree diff`,
    diff.stdout.trim() || diff.stderr.trim() || '(no file differs: the commit metadata does)',
    'first differing file (mode uid gid size checksum path):',
    firstDifference(await list(options.a.commit), await list(options.b.commit)),
  ].join('\n');
}

/** The first line where two listings differ, both versions; '' when they are the same. */
function firstDifference(a: readonly string[], b: readonly string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `- ${a[i] ?? '(end)'}\n+ ${b[i] ?? '(end)'}`;
  }
  return '';
}

/** Lists every entry of a file tree with its metadata and content hash (python3: xattrs, nanosecond mtimes). */
const LIST_TREE = `
import hashlib, os, stat, sys
root = sys.argv[1]
entries = []
for top, dirs, files in os.walk(root):
    for name in dirs + files + ([] if top != root else ['.']):
        path = os.path.normpath(os.path.join(top, name))
        st = os.lstat(path)
        extra = ''
        if stat.S_ISREG(st.st_mode):
            with open(path, 'rb') as f:
                extra = hashlib.sha256(f.read()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            extra = '-> ' + os.readlink(path)
        xattrs = []
        for key in sorted(os.listxattr(path, follow_symlinks=False)):
            xattrs.append(key + '=' + os.getxattr(path, key, follow_symlinks=False).hex())
        rel = os.path.relpath(path, root)
        entries.append('%s %o %d:%d mtime=%d size=%d %s %s' % (
            rel, st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns,
            st.st_size if not stat.S_ISDIR(st.st_mode) else 0, extra, ' '.join(xattrs)))
print('\\n'.join(sorted(set(entries))))
`;

/** The listing of a btrfs or ext4 image's whole filesystem (btrfs: every subvolume), mounted read-only. */
async function imageListing(ctx: StepContext, image: string): Promise<string[]> {
  const mountpoint = ctx.path(`${image}.mnt`);
  await runChecked(ctx, ['mkdir', '-p', mountpoint]);
  const type = (
    await ctx.run(['blkid', '-c', '/dev/null', '-o', 'value', '-s', 'TYPE', ctx.path(image)])
  ).stdout.trim();
  const options = type === 'btrfs' ? 'ro,loop,subvolid=5' : 'ro,loop';
  await runChecked(ctx, ['mount', '-o', options, ctx.path(image), mountpoint]);
  try {
    return (await runChecked(ctx, ['python3', '-c', LIST_TREE, mountpoint])).stdout.split('\n');
  } finally {
    const unmounted = await ctx.run(['umount', mountpoint]);
    if (unmounted.exitCode !== 0) await ctx.run(['umount', '-l', mountpoint]);
  }
}

async function git(ctx: StepContext, cwd: string, ...args: string[]): Promise<string> {
  return (await runChecked(ctx, ['git', ...args], { cwd })).stdout;
}
