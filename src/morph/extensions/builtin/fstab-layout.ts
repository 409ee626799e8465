/**
 * fstab completion for the rawdisk btrfs layout (docs/spec/morph.md 7.4 step 5): a
 * root entry when there is none, and one `subvol=/state/<d>` entry for each
 * state directory that has no mount yet. Pure, so that it is tested without
 * a disk.
 */

/** Directories that keep their contents across upgrades, as btrfs subvolumes under `/state`. */
export const STATE_DIRS = ['home', 'root', 'opt', 'srv', 'var'] as const;

/** The completed fstab and what the caller must create. */
export interface CompletedFstab {
  text: string;
  /** The device of `/` (the existing entry's, else the one given). */
  rootDevice: string;
  /** State directories that got an entry: their subvolumes must be created. */
  stateDirs: string[];
}

/** Mount points of `text` mapped to their devices (comment lines ignored). */
export function parseFstab(text: string): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [device, target] = trimmed.split(/\s+/);
    if (device !== undefined && target !== undefined) mounts.set(target, device);
  }
  return mounts;
}

/** Completes `text`; `rootDevice` is used only when there is no `/` entry. */
export function completeFstab(text: string, rootDevice: string): CompletedFstab {
  const mounts = parseFstab(text);
  const added: string[] = [];
  const existingRoot = mounts.get('/');
  const root = existingRoot ?? rootDevice;
  if (existingRoot === undefined) added.push(`${root}  / btrfs defaults,rw,noatime 0 1`);
  const stateDirs = STATE_DIRS.filter((dir) => !mounts.has(`/${dir}`));
  for (const dir of stateDirs) {
    added.push(`${root}  /${dir}  btrfs subvol=/state/${dir},defaults,rw,noatime 0 2`);
  }
  if (added.length === 0) return { text, rootDevice: root, stateDirs };
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return {
    text: `${text}${separator}# Morph default system layout\n${added.map((l) => `${l}\n`).join('')}`,
    rootDevice: root,
    stateDirs,
  };
}

/**
 * fstab completion for a rootless (ext4) image: only a root entry when
 * there is none. ext4 has no subvolumes to mount at the state directories,
 * so they stay inside the system version and get no entries.
 */
export function completeExt4Fstab(text: string, rootDevice: string): string {
  if (parseFstab(text).has('/')) return text;
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}# Morph default system layout\n${rootDevice}  / ext4 defaults,rw,noatime 0 1\n`;
}
