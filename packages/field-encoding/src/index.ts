/**
 * Canonical, unambiguous encoding of a list of strings for use as authenticated data (AES-GCM AAD,
 * HKDF info): u32be(field count), then per field u32be(UTF-8 byte length) ‖ UTF-8 bytes. Unlike
 * concatenation, ("ab", "c") and ("a", "bc") encode differently. The vault's records and the keys
 * sealed to stations both depend on these exact bytes: changing them breaks every stored secret.
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
