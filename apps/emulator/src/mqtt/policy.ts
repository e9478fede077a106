/** Who is on a connection, decided once from the client certificate at CONNECT. */
export type Identity = { kind: 'claim'; certificateId: string } | { kind: 'device'; certificateId: string };

const CLAIM_PUBLISH = [
  /^\$aws\/certificates\/create\/(json|cbor)$/,
  /^\$aws\/certificates\/create-from-csr\/(json|cbor)$/,
  /^\$aws\/provisioning-templates\/[0-9A-Za-z_-]{1,36}\/provision\/(json|cbor)$/,
];

// IAM-style: the claim policy allows topic filters under these prefixes (`…/create/*` covers `…/create/json/+`).
const CLAIM_SUBSCRIBE_PREFIXES = [
  '$aws/certificates/create/',
  '$aws/certificates/create-from-csr/',
  '$aws/provisioning-templates/',
];

/**
 * The policies the emulator enforces: the claim certificate may use only the provisioning topics;
 * an ACTIVE device certificate may use any topic outside `$aws/`.
 */
export function mayPublish(identity: Identity, topic: string): boolean {
  if (identity.kind === 'claim') return CLAIM_PUBLISH.some((pattern) => pattern.test(topic));
  return !topic.startsWith('$');
}

export function maySubscribe(identity: Identity, filter: string): boolean {
  if (identity.kind === 'claim')
    return CLAIM_SUBSCRIBE_PREFIXES.some(
      (prefix) => filter.startsWith(prefix) && filter.length > prefix.length,
    );
  return !filter.startsWith('$');
}
