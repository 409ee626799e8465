/**
 * `simple-network` configure extension (docs/spec/morph.md 8): writes
 * `etc/network/interfaces` from `NETWORK_CONFIG`, stanzas
 * `iface:type[,key=value...]` separated by `;`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { type BuiltinExtension, ExtensionError, runExtensionMain, treePath } from '../api.js';

export const DEFAULT_NETWORK_CONFIG = 'lo:loopback;eth0:dhcp,hostname=$(hostname)';

/** One interface of `NETWORK_CONFIG`. */
export interface NetworkStanza {
  name: string;
  type: string;
  args: [string, string][];
}

/**
 * Parses `NETWORK_CONFIG`.
 * @throws ExtensionError `bad-network-config` naming the stanza that is malformed.
 */
export function parseNetworkConfig(config: string): NetworkStanza[] {
  return config
    .split(';')
    .filter((s) => s.trim() !== '')
    .map((stanza) => {
      const parts = stanza.split(':');
      const [type, ...args] = (parts[1] ?? '').split(',');
      if (parts.length !== 2 || !parts[0] || !type) {
        throw new ExtensionError('bad-network-config', `Error parsing network stanza: ${stanza}`);
      }
      return {
        name: parts[0],
        type,
        args: args.map((arg): [string, string] => {
          const kv = arg.split('=');
          if (kv.length !== 2)
            throw new ExtensionError('bad-network-config', `Error parsing network argument: ${arg}`);
          return [kv[0]!, kv[1]!];
        }),
      };
    });
}

/** The `interfaces(5)` text for `stanzas`. */
export function renderInterfaces(stanzas: readonly NetworkStanza[]): string {
  return stanzas
    .map(
      (s) =>
        `auto ${s.name}\niface ${s.name} inet ${s.type}\n${s.args.map(([k, v]) => `    ${k} ${v}\n`).join('')}\n`,
    )
    .join('');
}

export const simpleNetworkExtension: BuiltinExtension = {
  name: 'simple-network',
  async configure(ctx, tree) {
    const stanzas = parseNetworkConfig(ctx.env.NETWORK_CONFIG || DEFAULT_NETWORK_CONFIG);
    await mkdir(treePath(tree, 'etc/network'), { recursive: true });
    const path = treePath(tree, 'etc/network/interfaces');
    ctx.status(`Generating ${path}`);
    await writeFile(path, renderInterfaces(stanzas), { mode: 0o644 });
  },
};

runExtensionMain(simpleNetworkExtension, import.meta.url);
