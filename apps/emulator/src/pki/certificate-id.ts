import { createHash } from 'node:crypto';

/** AWS IoT certificate ids are the lowercase hex SHA-256 of the certificate's DER. */
export function certificateIdOf(der: Buffer | ArrayBuffer): string {
  return createHash('sha256')
    .update(Buffer.from(der as ArrayBuffer))
    .digest('hex');
}

export function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}
