/**
 * Splits an encoded protobuf message into its fields without a schema
 * (varints and length-delimited fields only, which is all REAPI's `Tree`
 * and `ExecuteOperationMetadata` use), keeping each length-delimited
 * field's raw bytes: a `Tree`'s children are named by the digest of exactly
 * those bytes.
 */
export function readFields(bytes: Buffer): { field: number; bytes?: Buffer; value?: number }[] {
  const fields: { field: number; bytes?: Buffer; value?: number }[] = [];
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new RangeError('truncated protobuf varint');
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 0x80;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        fields.push({ field, value: varint() });
        break;
      case 2: {
        const length = varint();
        if (at + length > bytes.length) throw new RangeError('truncated protobuf field');
        fields.push({ field, bytes: bytes.subarray(at, at + length) });
        at += length;
        break;
      }
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      default:
        throw new RangeError(`unsupported protobuf wire type ${tag & 7}`);
    }
  }
  return fields;
}
