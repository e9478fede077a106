/**
 * Canonical encoding of a list of strings for authenticated data, the same as @claimline/vault's:
 * u32be(count), then per field u32be(byte length) ‖ UTF-8 bytes, so ("ab","c") ≠ ("a","bc").
 */
export function encodeFields(fields: readonly string[]): Buffer {
  const parts: Buffer[] = [u32(fields.length)];
  for (const field of fields) {
    const bytes = Buffer.from(field, 'utf8');
    parts.push(u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
