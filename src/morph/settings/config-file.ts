import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ErrorLocation, MorphError } from '../errors.js';

/** One `key = value` of a `[config]` section, with where it came from. */
export interface ConfigEntry {
  readonly key: string;
  readonly value: string;
  readonly location: ErrorLocation;
}

/**
 * Parses INI text as Python's ConfigParser does and returns the entries of
 * the `[config]` section only (docs/spec/morph.md 2.1): `key = value` or `key: value`,
 * keys lower-cased, values trimmed, `#`/`;` comment lines, indented lines
 * continuing the previous value.
 * @throws MorphError config/bad-config-file on a line that is none of these
 */
export function parseConfigFile(text: string, file: string): ConfigEntry[] {
  const entries: { key: string; value: string; location: ErrorLocation }[] = [];
  let section: string | undefined;
  let last: { value: string } | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const location = { file, line: index + 1 };
    if (line.trim() === '' || /^[#;]/.test(line) || /^rem(\s|$)/i.test(line)) {
      last = undefined;
      continue;
    }
    if (/^\s/.test(line)) {
      if (!last) throw new MorphError('config', 'bad-config-file', `unexpected indented line`, { location });
      last.value = `${last.value}\n${line.trim()}`;
      continue;
    }
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      section = header[1];
      last = undefined;
      continue;
    }
    const pair = /^([^:=\s][^:=]*?)\s*[:=]\s*(.*)$/.exec(line);
    if (!pair || section === undefined) {
      throw new MorphError('config', 'bad-config-file', `cannot parse config line: ${line}`, { location });
    }
    if (section !== 'config') {
      last = { value: '' };
      continue;
    }
    const entry = { key: pair[1]!.trim().toLowerCase(), value: pair[2]!.trim(), location };
    entries.push(entry);
    last = entry;
  }
  return entries;
}

/**
 * The default config files in reading order: `/etc/morph.conf`,
 * `/etc/morph/*.conf`, `~/.morph.conf`, `~/.config/morph/*.conf` (globs sorted).
 */
export async function defaultConfigFiles(home: string, etc = '/etc'): Promise<string[]> {
  return [
    join(etc, 'morph.conf'),
    ...(await confFilesIn(join(etc, 'morph'))),
    join(home, '.morph.conf'),
    ...(await confFilesIn(join(home, '.config', 'morph'))),
  ];
}

/**
 * The `*.conf` files of `dir`, sorted; none when it does not exist.
 * @throws MorphError config/bad-config-file when it exists but cannot be read.
 */
async function confFilesIn(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new MorphError('config', 'bad-config-file', `cannot read config directory ${dir}`, { cause: err });
  }
  return names
    .filter((name) => name.endsWith('.conf'))
    .sort()
    .map((name) => join(dir, name));
}

/** The largest config file morph reads. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads the `[config]` entries of each file in order; missing files are
 * silently skipped (docs/spec/morph.md 12.3).
 * @throws MorphError config/bad-config-file when a file exists but cannot be read or parsed
 */
export async function readConfigFiles(files: readonly string[]): Promise<ConfigEntry[]> {
  const entries: ConfigEntry[] = [];
  for (const file of files) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new MorphError('config', 'bad-config-file', `cannot read config file ${file}`, { cause: err });
    }
    // Never echo a binary file (--config=/bin/true) line by line to the terminal.
    if (data.includes(0) || data.length > MAX_CONFIG_BYTES) {
      throw new MorphError(
        'config',
        'bad-config-file',
        `${file} is a binary or oversized file, not a config file`,
        { hint: 'give --config a text file with a [config] section' },
      );
    }
    entries.push(...parseConfigFile(data.toString('utf8'), file));
  }
  return entries;
}
