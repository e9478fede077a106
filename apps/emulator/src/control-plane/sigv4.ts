import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AccessKey } from './credentials.js';
import { IotError } from './iot-error.js';

/** What arrived, unchanged: the path still percent-encoded as sent. */
export type SignedRequest = {
  method: string;
  /** Path and query exactly as received (`req.originalUrl`). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
};

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** AWS accepts a request signed up to 15 minutes before or after its own clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** IoT signs as `iot`; before 2023 it was `execute-api`, which AWS's front end still takes. */
const SERVICES = new Set(['iot', 'execute-api']);

const mismatch = () =>
  new IotError(
    'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );
const incomplete = (message: string) => new IotError('IncompleteSignatureException', message);
const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};
const compact = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * Checks a request's SigV4 `Authorization` header the way AWS's front end does: rebuilds the
 * request from what arrived, signs it again with `@smithy/signature-v4` (the SDK's own signer) at the
 * request's date, region and service, and compares. Throws the IotError AWS would answer with.
 */
export async function verifySigV4(
  request: SignedRequest,
  key: AccessKey,
  region: string,
  now = Date.now(),
): Promise<void> {
  const authorization = header(request.headers, 'authorization');
  if (authorization === undefined)
    throw new IotError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = AUTHORIZATION.exec(authorization);
  if (!match)
    throw incomplete(
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization.split(' ')[0]}`,
    );
  const [, accessKeyId, shortDate, scopeRegion, service, signedHeaderList, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (accessKeyId !== key.accessKeyId)
    throw new IotError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  if (!SERVICES.has(service))
    throw new IotError(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: 'iot'. `,
    );
  if (scopeRegion !== region)
    throw new IotError(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${scopeRegion}'. `,
    );
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host'))
    throw new IotError(
      'InvalidSignatureException',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    );
  const amzDate = header(request.headers, 'x-amz-date') ?? '';
  const parts = AMZ_DATE.exec(amzDate);
  if (!parts)
    throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  const [, y, mo, d, h, mi, s] = parts;
  const signingDate = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  if (Number.isNaN(signingDate.getTime()) || !amzDate.startsWith(shortDate)) throw mismatch();
  if (signingDate.getTime() < now - MAX_SKEW_MS)
    throw new IotError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${compact(new Date(now - MAX_SKEW_MS))} (${compact(new Date(now))} - 15 min.)`,
    );
  if (signingDate.getTime() > now + MAX_SKEW_MS)
    throw new IotError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${compact(new Date(now + MAX_SKEW_MS))} (${compact(new Date(now))} + 15 min.)`,
    );
  // The signer trusts x-amz-content-sha256 as the payload hash, so a changed body must be caught here.
  const contentSha = header(request.headers, 'x-amz-content-sha256');
  if (contentSha !== undefined && contentSha !== createHash('sha256').update(request.body).digest('hex'))
    throw mismatch();

  const url = new URL(request.url, 'http://placeholder');
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : ([] as string[]).concat(seen, value);
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = header(request.headers, name) ?? '';
  const signer = new SignatureV4({
    service,
    region: scopeRegion,
    sha256: Sha256,
    uriEscapePath: true,
    // Hash the body only if the client signed its hash (the SDK always does).
    applyChecksum: signedHeaders.includes('x-amz-content-sha256'),
    credentials: { accessKeyId, secretAccessKey: key.secretAccessKey },
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'https:',
      hostname: (headers.host ?? '').replace(/:\d+$/, ''),
      path: request.url.split('?')[0],
      query,
      headers,
      body: request.body.length > 0 ? request.body : undefined,
    }),
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  if (!timingSafeEqual(Buffer.from(expected.padEnd(64, '0')), Buffer.from(signature))) throw mismatch();
}
