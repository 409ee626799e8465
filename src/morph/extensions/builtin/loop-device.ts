/**
 * Loop devices for disk images (docs/spec/design.md 3.3): always `losetup --show -f`,
 * never a fixed device, so that concurrent deployments cannot collide; the
 * detach is registered on the cleanup stack at once.
 */
import { existsSync } from 'node:fs';
import { detachLoopSync, type ExtensionContext, ExtensionError, runTool } from '../api.js';

/** An attached image: `device` is the whole disk. */
export interface LoopDevice {
  device: string;
  /**
   * The first partition's device node: rescans the partition table when
   * the node is missing and waits for the kernel to create it (there may be
   * no udev to wait for).
   * @throws ExtensionError `no-partition` when it does not appear.
   */
  partition(): Promise<string>;
  /**
   * Detaches now (idempotent). On a mounted device the kernel defers this
   * until the unmount, so calling it right after mounting means that even a
   * killed extension cannot leak the device: its private mount namespace,
   * and with it the mount, dies with it.
   */
  detach(): void;
}

/** True when the image (or device) at `path` starts with a partition table. */
export async function hasPartitionTable(ctx: ExtensionContext, path: string): Promise<boolean> {
  const { stdout } = await runTool(ctx, ['blkid', '-p', '-s', 'PTTYPE', '-o', 'value', path], {
    allowFailure: true,
  });
  return stdout.trim() !== '';
}

/**
 * Attaches `image` with partition scanning and direct I/O: the loop device
 * then writes straight to the image file instead of through a second copy
 * in the page cache of the filesystem holding it, so unmounting (which
 * writes the image out) is cheaper and leaves no dirty image pages behind.
 * Where the image's filesystem cannot do direct I/O, attaches without it.
 * @throws ExtensionError `command-failed` when losetup fails.
 */
export async function attachLoopDevice(ctx: ExtensionContext, image: string): Promise<LoopDevice> {
  const argv = ['losetup', '--show', '-f', '-P'];
  const direct = await runTool(ctx, [...argv, '--direct-io=on', image], { allowFailure: true });
  if (direct.exitCode !== 0 && direct.stdout.trim() !== '') {
    // Attached, but direct I/O was refused: never leak the device.
    detachLoopSync(direct.stdout.trim());
  }
  const { stdout } = direct.exitCode === 0 ? direct : await runTool(ctx, [...argv, image]);
  const device = stdout.trim();
  const handle = ctx.cleanup.push(`detach ${device}`, () => detachLoopSync(device));
  ctx.log(`attached ${image} to ${device}`);
  return {
    device,
    async partition() {
      const node = `${device}p1`;
      // Some kernels do not scan partitions at attach time despite -P: ask again.
      if (!existsSync(node)) await runTool(ctx, ['partprobe', device], { allowFailure: true });
      for (let waited = 0; !existsSync(node); waited += 50) {
        if (waited >= 10_000) throw new ExtensionError('no-partition', `${node} did not appear`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return node;
    },
    detach: () => handle.release(),
  };
}
