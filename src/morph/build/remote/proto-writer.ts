/**
 * A minimal protobuf wire-format writer for canonical encoding: the caller
 * writes fields in ascending field-number order and this writer omits every
 * proto3 default (empty string, zero, false, absent message), which is what
 * makes two encoders agree on the bytes, and so on the digests.
 */
export class ProtoWriter {
  private readonly parts: Buffer[] = [];

  /** A `string` field (UTF-8); omitted when empty. */
  string(field: number, value: string | undefined): this {
    if (value) this.bytesField(field, Buffer.from(value, 'utf8'));
    return this;
  }

  /** One element of a `repeated string` field: written even when empty (its position is its value). */
  element(field: number, value: string): this {
    this.bytesField(field, Buffer.from(value, 'utf8'));
    return this;
  }

  /** A varint field (`int64`, `uint32`, `bool`, enum); omitted when zero. */
  varint(field: number, value: number | boolean | undefined): this {
    const n = typeof value === 'boolean' ? Number(value) : (value ?? 0);
    if (n === 0) return this;
    this.parts.push(encodeVarint((field << 3) | 0), encodeVarint(n));
    return this;
  }

  /** An embedded message field; omitted when undefined (present but empty when it encodes to nothing). */
  message(field: number, value: Buffer | undefined): this {
    if (value !== undefined) this.bytesField(field, value);
    return this;
  }

  /** The encoded message. */
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }

  private bytesField(field: number, bytes: Buffer): void {
    this.parts.push(encodeVarint((field << 3) | 2), encodeVarint(bytes.length), bytes);
  }
}

/** Base-128 varint of a non-negative safe integer. */
export function encodeVarint(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a varint: ${value}`);
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}
