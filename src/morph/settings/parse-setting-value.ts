import { MorphError } from '../errors.js';
import type { SettingSpec, SettingValue } from './setting-table.js';

const SIZE_SUFFIXES: Record<string, number> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/**
 * Parses a byte size: an integer with an optional K/M/G/T suffix (`0`, `4G`,
 * `512M`, `20m`, `4GiB`), powers of 1024.
 * @throws MorphError config/bad-value when the text is no size
 */
export function parseByteSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) throw new MorphError('config', 'bad-value', `${what}: invalid size ${JSON.stringify(text)}`);
  return Number(match[1]) * (SIZE_SUFFIXES[match[2]!.toLowerCase()] ?? 1);
}

/**
 * Parses a config-file boolean: true/false/yes/no/on/off/1/0, any case.
 * @throws MorphError config/bad-value otherwise
 */
export function parseBoolean(text: string, what = 'value'): boolean {
  const lower = text.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(lower)) return true;
  if (['false', 'no', 'off', '0'].includes(lower)) return false;
  throw new MorphError('config', 'bad-value', `${what}: invalid boolean ${JSON.stringify(text)}`);
}

/**
 * Parses one textual value of `spec` (from the command line, or from a
 * config file where lists are comma-separated).
 * @throws MorphError config/bad-value when the text does not fit the type
 */
export function parseSettingValue(spec: SettingSpec, text: string, fromConfigFile: boolean): SettingValue {
  const what = `--${spec.name}`;
  switch (spec.type) {
    case 'bool':
      return parseBoolean(text, what);
    case 'bytesize':
      return parseByteSize(text, what);
    case 'int': {
      if (!/^\s*-?\d+\s*$/.test(text)) {
        throw new MorphError('config', 'bad-value', `${what}: invalid integer ${JSON.stringify(text)}`);
      }
      const value = Number.parseInt(text, 10);
      if (spec.range && (value < spec.range[0] || value > spec.range[1])) {
        throw new MorphError('config', 'bad-value', `${what}: ${value} is out of range`, {
          hint: `give a whole number from ${spec.range[0]} to ${spec.range[1]}`,
        });
      }
      return value;
    }
    case 'string':
      return text;
    case 'string-list':
      return fromConfigFile
        ? text
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '')
        : [text];
    case 'choice': {
      const value = text.trim();
      if (!spec.choices?.includes(value)) {
        throw new MorphError(
          'config',
          'bad-value',
          `${what}: invalid choice ${JSON.stringify(text)} (choose from ${spec.choices?.join(', ')})`,
        );
      }
      return value;
    }
  }
}
