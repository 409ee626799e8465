/** A YAML mapping as loaded: a plain object (not an array, not bytes). */
export type Mapping = Record<string, unknown>;

/** True for a loaded YAML mapping. */
export function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** True for a string or a `!!binary` byte string. */
export function isByteString(value: unknown): value is string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

/** The Python type name the original morph would report for a loaded value. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (Buffer.isBuffer(value)) return 'bytes';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    default:
      return 'dict';
  }
}

/** A short rendering of a scalar for error messages. */
export function show(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
