import { readFileSync } from 'node:fs';
import { MorphError } from '../../errors.js';
import type { Settings } from '../../settings/setting-table.js';
import { RemoteExecutor } from './remote-executor.js';

/**
 * The remote executor the settings ask for (`remote-execution` and its
 * companions), or undefined for local builds.
 * @throws MorphError `config/unreadable-file` when the token or CA file cannot be read;
 *   `build/bad-remote-url`, `build/reapi-protos-missing`.
 */
export function openRemoteExecutor(settings: Settings): RemoteExecutor | undefined {
  const url = settings['remote-execution'];
  if (!url) return undefined;
  const read = (setting: 'remote-auth-token-file' | 'remote-tls-ca'): Buffer | undefined => {
    const path = settings[setting];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new MorphError(
        'config',
        'unreadable-file',
        `cannot read ${setting} ${path}: ${(err as Error).message}`,
        {
          hint: `give --${setting} a readable file`,
          cause: err,
        },
      );
    }
  };
  const token = read('remote-auth-token-file')?.toString().trim();
  return new RemoteExecutor(
    {
      url,
      instanceName: settings['remote-instance-name'],
      caCertificates: read('remote-tls-ca'),
      authToken: token || undefined,
    },
    settings['max-remote-jobs'],
  );
}

/**
 * The platform properties of a chunk built for `arch`, in the REAPI
 * platform lexicon (`OSFamily`, `ISA`), so that an engine picks a worker
 * that can run it.
 */
export function platformOf(arch: string): Record<string, string> {
  const isa: Record<string, string> = {
    x86_64: 'x86-64',
    x86_32: 'x86-32',
    aarch64: 'arm-a64',
    armv8l64: 'arm-a64',
    armv8b64: 'arm-a64',
    armv7l: 'arm-a32',
    armv7lhf: 'arm-a32',
    armv7b: 'arm-a32',
    ppc64: 'power-isa-be',
    ppc64le: 'power-isa-le',
  };
  return { OSFamily: 'linux', ISA: isa[arch] ?? arch };
}
