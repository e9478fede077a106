import type { ClaimMode, KeyAlgorithm, PayloadFormat } from '@claimline/db';

/** The API's lower-case wire values ↔ the database enums. */
export const payloadFormatToDb = { json: 'JSON', cbor: 'CBOR' } as const satisfies Record<
  string,
  PayloadFormat
>;
export const modeToDb = {
  'create-keys': 'CREATE_KEYS',
  csr: 'CSR',
  'device-csr': 'DEVICE_CSR',
} as const satisfies Record<string, ClaimMode>;
export const keyAlgorithmToDb = { 'ec-p256': 'EC_P256', 'rsa-2048': 'RSA_2048' } as const satisfies Record<
  string,
  KeyAlgorithm
>;

const invert = <T extends Record<string, string>>(map: T) =>
  Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k])) as { [K in keyof T as T[K]]: K };

export const payloadFormatFromDb = invert(payloadFormatToDb);
export const modeFromDb = invert(modeToDb);
export const keyAlgorithmFromDb = invert(keyAlgorithmToDb);
