import type protobuf from 'protobufjs';

/**
 * The test double's own check that a message is in canonical form: it is
 * decoded, stripped of every proto3 default (empty strings, zeros, false,
 * empty lists and messages) and re-encoded by protobufjs, which writes
 * fields in field-number order; the bytes must be the ones received. This
 * shares no code with morph's encoder, so a mistake in either shows.
 */
export function isCanonical(type: protobuf.Type, bytes: Buffer): boolean {
  let decoded: protobuf.Message;
  try {
    decoded = type.decode(bytes);
  } catch {
    return false;
  }
  const plain = stripDefaults(type.toObject(decoded, { longs: String, enums: Number, bytes: Buffer }));
  const again = Buffer.from(type.encode(type.fromObject(plain ?? {})).finish());
  return again.equals(bytes);
}

function stripDefaults(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const kept = keep(field);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function keep(field: unknown): unknown {
  if (field === '' || field === 0 || field === '0' || field === false || field === null) return undefined;
  if (Buffer.isBuffer(field)) return field.length > 0 ? field : undefined;
  if (Array.isArray(field)) {
    const items = field.map((item) =>
      typeof item === 'object' && item !== null ? (stripDefaults(item) ?? {}) : item,
    );
    return items.length > 0 ? items : undefined;
  }
  if (typeof field === 'object') return stripDefaults(field);
  return field;
}
