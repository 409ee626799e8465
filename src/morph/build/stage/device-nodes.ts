import { lstat, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runCommand } from '../../../shared/exec.js';
import { MorphError } from '../../errors.js';

/**
 * A special file kept outside OSTree (which stores only regular files,
 * symlinks and directories): a chunk's declared `devices`, or a device node
 * or FIFO its install commands made. Recorded in the artifact commit and
 * re-created after every checkout.
 */
export interface DeviceNode {
  /** Path relative to the artifact root, no leading `/`. */
  filename: string;
  /** `c` character device, `b` block device, `p` FIFO. */
  type: 'c' | 'b' | 'p';
  /** Octal permission bits as text (`"0666"`). */
  permissions: string;
  major: number;
  minor: number;
  uid: number;
  gid: number;
}

/** Normalises a chunk morphology's `devices` entry (filename may start with `/`). */
export function deviceFromSpec(spec: Record<string, unknown>): DeviceNode {
  const type = String(spec.type ?? 'c');
  if (type !== 'c' && type !== 'b' && type !== 'p') {
    throw new MorphError('build', 'bad-device', `device ${String(spec.filename)} has unknown type ${type}`);
  }
  return {
    filename: String(spec.filename ?? '').replace(/^\/+/, ''),
    type,
    permissions: String(spec.permissions ?? '0600'),
    major: Number(spec.major ?? 0),
    minor: Number(spec.minor ?? 0),
    uid: Number(spec.uid ?? 0),
    gid: Number(spec.gid ?? 0),
  };
}

/**
 * Creates device nodes under `root`, replacing whatever is at each path.
 * @throws MorphError `build/mknod-failed`.
 */
export async function createDeviceNodes(root: string, devices: readonly DeviceNode[]): Promise<void> {
  for (const device of devices) {
    const path = join(root, device.filename);
    await mkdir(dirname(path), { recursive: true });
    await rm(path, { force: true });
    const argv = ['mknod', '-m', device.permissions, path, device.type];
    if (device.type !== 'p') argv.push(String(device.major), String(device.minor));
    try {
      await runCommand(argv);
      await runCommand(['chown', '-h', `${device.uid}:${device.gid}`, path]);
    } catch (err) {
      throw new MorphError('build', 'mknod-failed', `cannot create device ${device.filename}`, {
        cause: err,
      });
    }
  }
}

/** Describes the special file at `root/relative`, or undefined for ordinary files. */
export async function describeSpecialFile(root: string, relative: string): Promise<DeviceNode | undefined> {
  const st = await lstat(join(root, relative));
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : undefined;
  if (!type) return undefined;
  const rdev = st.rdev;
  return {
    filename: relative,
    type,
    permissions: `0${(st.mode & 0o7777).toString(8)}`,
    // Linux dev_t encoding (glibc gnu_dev_major/minor).
    major: ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
    minor: (rdev & 0xff) | ((rdev >>> 12) & ~0xff),
    uid: st.uid,
    gid: st.gid,
  };
}
