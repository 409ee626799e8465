/**
 * `vdaboot` configure extension (docs/spec/morph.md 8): for OpenStack deployments
 * (`OPENSTACK_USER` set) the root filesystem is `/dev/vda`, so that becomes
 * the `/` entry of `etc/fstab`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileIfPresent } from '../../../shared/if-present.js';
import { type BuiltinExtension, runExtensionMain, treePath } from '../api.js';

/** `text` with its `/` entry's device replaced by `/dev/vda` (or such an entry appended). */
export function setRootDevice(text: string, device = '/dev/vda'): string {
  let found = false;
  const lines = text.split('\n').map((line) => {
    const fields = line.trim().split(/\s+/);
    if (line.trim().startsWith('#') || fields.length < 2 || fields[1] !== '/') return line;
    found = true;
    return [device, ...fields.slice(1)].join('  ');
  });
  let result = lines.join('\n');
  if (!found) {
    if (result !== '' && !result.endsWith('\n')) result += '\n';
    result += `${device}  /  btrfs  defaults,rw,noatime  0 1\n`;
  }
  return result;
}

export const vdabootExtension: BuiltinExtension = {
  name: 'vdaboot',
  async configure(ctx, tree) {
    if (!ctx.env.OPENSTACK_USER) return;
    ctx.status('Setting /dev/vda as the root device in /etc/fstab');
    await mkdir(treePath(tree, 'etc'), { recursive: true });
    const path = treePath(tree, 'etc/fstab');
    const text = (await readFileIfPresent(path)) ?? '';
    await writeFile(path, setRootDevice(text), { mode: 0o644 });
  },
};

runExtensionMain(vdabootExtension, import.meta.url);
