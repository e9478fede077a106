/**
 * The one list of field names whose values never reach a log, shared by every process's logger. It
 * names what the code carries (grep the sources when adding a field that holds a secret): private keys
 * (`privateKey`, `privateKeyPem`, `keyPem`), AWS ownership tokens, API keys and the headers that carry
 * them, sealed payloads handed to stations, the vault's plaintext and data keys, passwords.
 */
export const SECRET_FIELD_NAMES = [
  // private keys
  'privateKey',
  'privateKeyPem',
  'keyPem',
  // AWS fleet provisioning ownership tokens
  'ownershipToken',
  'certificateOwnershipToken',
  'token',
  // API keys and the headers and cookies that carry them
  'apiKey',
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  // sealed payloads (a private key sealed to a station) and the vault's envelope parts
  'sealedPrivateKey',
  'sealed',
  'plaintext',
  'ciphertext',
  'wrappedKey',
  'dataKey',
  // generic
  'secret',
  'password',
  'passphrase',
] as const;

/** How deep below the log object a secret field is still found (`a.b.c.privateKey` at depth 3). */
export const MAX_DEPTH = 4;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function pathTo(name: string, depth: number): string {
  const wildcards = Array.from({ length: depth }, () => '*').join('.');
  if (!IDENTIFIER.test(name)) return `${wildcards}["${name}"]`;
  return wildcards ? `${wildcards}.${name}` : name;
}

/** The paths censored: every name at every depth up to MAX_DEPTH, in pino's (fast-redact) notation. */
export const REDACTED_PATHS: string[] = SECRET_FIELD_NAMES.flatMap((name) =>
  Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => pathTo(name, depth)),
);
