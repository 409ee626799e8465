/** The `extlinux.conf` of a rawdisk deployment (docs/spec/morph.md 7.4 step 6). Pure. */

export interface ExtlinuxOptions {
  /** `root=` value: `UUID=<fs uuid>` with an initramfs, else `ROOT_DEVICE`. */
  root: string;
  initramfs: boolean;
  dtb: boolean;
  /** `KERNEL_ARGS`, appended as given. */
  kernelArgs?: string;
  /** The root filesystem: btrfs (default, the A/B subvolume layout) or ext4 (rootless images, no subvolumes). */
  filesystem?: 'btrfs' | 'ext4';
}

/** Renders extlinux.conf booting `systems/default`. */
export function renderExtlinuxConfig(options: ExtlinuxOptions): string {
  const append = [
    options.filesystem === 'ext4'
      ? 'rw init=/sbin/init rootfstype=ext4'
      : 'rw init=/sbin/init rootfstype=btrfs rootflags=subvol=systems/default/run',
    `root=${options.root}`,
    options.kernelArgs ?? '',
  ]
    .filter((part) => part !== '')
    .join(' ');
  return [
    'default linux',
    'timeout 1',
    'label linux',
    'kernel /systems/default/kernel',
    ...(options.initramfs ? ['initrd /systems/default/initramfs'] : []),
    ...(options.dtb ? ['devicetree /systems/default/dtb'] : []),
    `append ${append}`,
    '',
  ].join('\n');
}
