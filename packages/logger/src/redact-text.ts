import { SECRET_FIELD_NAMES } from './secret-fields.js';

export const REDACTED = '[redacted]';

/** A PEM private key block (PKCS#1, SEC1, PKCS#8, encrypted), or its start when the end was cut off. */
const PEM_PRIVATE_KEY =
  /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:[\s\S]*?-----END \1PRIVATE KEY-----|[A-Za-z0-9+/=\s\\n]*)/g;
/** A claimline API key, `cl_<prefix>_<secret>`: the prefix is public and stays, the secret goes. */
const API_KEY = /\b(cl_[0-9a-f]{12}_)[A-Za-z0-9_-]{43}\b/g;
const escape = (name: string) => name.replace(/[-]/g, '\\-');
const NAMES = SECRET_FIELD_NAMES.map(escape).join('|');
/** `"privateKey": "…"` or `"sealedPrivateKey": {…}` inside JSON quoted in a message. */
const JSON_FIELD = new RegExp(`("(?:${NAMES})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|\\{[^{}]*\\})`, 'gi');
/** `token=…` in a query string or form. */
const QUERY_FIELD = new RegExp(`([?&;](?:${NAMES})=)[^&;#\\s]*`, 'gi');

/**
 * Free-text redaction, for error messages built from foreign payloads and for URLs: PEM private keys,
 * API keys, and the values of secret fields in quoted JSON and query strings.
 */
export function redactSecretsInText(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, '[redacted private key]')
    .replace(API_KEY, `$1${REDACTED}`)
    .replace(JSON_FIELD, `$1"${REDACTED}"`)
    .replace(QUERY_FIELD, `$1${REDACTED}`);
}
