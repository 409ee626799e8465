/**
 * Loop devices for disk images (design.md 3.3): always `losetup --show -f`,
 * never a fixed device, so that concurrent deployments cannot collide; the
 * detach is registered on the cleanup stack at once.
 */
import { existsSync } from 'node:fs';
import { detachLoopSync, type ExtensionContext, runTool } from '../api.js';

/** An attached image: `device` is the whole disk, `filesystem` what to mkfs / mount. */
export interface LoopDevice {
  device: string;
  filesystem: string;
  /**
   * Detaches now (idempotent). On a mounted device the kernel defers this
   * until the unmount, so calling it right after mounting means that even a
   * killed extension cannot leak the device: its private mount namespace,
   * and with it the mount, dies with it.
   */
  detach(): void;
}

/**
 * Attaches `image` with partition scanning; `filesystem` is `<dev>p1` when
 * the image has a partition table, the device itself otherwise.
 * @throws ExtensionError `command-failed` when losetup fails.
 */
export async function attachLoopDevice(ctx: ExtensionContext, image: string): Promise<LoopDevice> {
  const { stdout } = await runTool(ctx, ['losetup', '--show', '-f', '-P', image]);
  const device = stdout.trim();
  const handle = ctx.cleanup.push(`detach ${device}`, () => detachLoopSync(device));
  ctx.log(`attached ${image} to ${device}`);
  return {
    device,
    get filesystem() {
      return existsSync(`${device}p1`) ? `${device}p1` : device;
    },
    detach: () => handle.release(),
  };
}
