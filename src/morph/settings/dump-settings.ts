import { SETTINGS, type Settings } from './setting-table.js';

/**
 * Renders the processed settings as a `[config]` file, one `key = value` line
 * per setting in table order (for `MORPH_DUMP_PROCESSED_CONFIG`): booleans as
 * `True`/`False`, lists comma-separated.
 */
export function dumpSettings(settings: Settings): string {
  const lines = ['[config]'];
  for (const spec of SETTINGS) {
    if (spec.name === 'help' || spec.name === 'version' || spec.name === 'dump-config') continue;
    const value = settings[spec.name];
    const text =
      typeof value === 'boolean'
        ? value
          ? 'True'
          : 'False'
        : Array.isArray(value)
          ? value.join(', ')
          : String(value);
    lines.push(`${spec.name} = ${text}`);
  }
  return `${lines.join('\n')}\n`;
}
