import {
  confirmResultSchema,
  credentialsPageSchema,
  credentialsSchema,
  isStationProblemCode,
  stationBatchesSchema,
  stationKeySchema,
  submitCsrResultSchema,
  type ConfirmBody,
  type ConfirmResult,
  type Credentials,
  type CredentialsPage,
  type StationBatches,
  type StationKey,
  type StationProblemCode,
  type SubmitCsrResult,
  type RequestSigner,
  verifyBundle,
} from '@claimline/station-contract';
import type { KeyObject } from 'node:crypto';
import { checkServerUrl, createFetch } from './transport.js';
import type { z } from 'zod';
import { StationError, type StationErrorCode } from './station-error.js';

// The answers' types and schemas are the API's own (@claimline/station-contract).
export type { ConfirmBody, Credentials, StationBatch } from '@claimline/station-contract';

/** API problem codes → what the operator is told. */
const CODES: Record<StationProblemCode, StationErrorCode> = {
  DEVICE_NOT_FOUND: 'UNKNOWN_SERIAL',
  DEVICE_NOT_PROVISIONED: 'NOT_PROVISIONED',
  DEVICE_AWAITING_CSR: 'AWAITING_CSR',
  DEVICE_ALREADY_BURNED: 'ALREADY_BURNED',
  DEVICE_DOWNLOADED_BY_OTHER_STATION: 'OTHER_STATION',
  STATION_NOT_ASSIGNED: 'NOT_ASSIGNED',
  STATION_NO_PUBLIC_KEY: 'NO_PUBLIC_KEY',
  STATION_KEY_PENDING: 'KEY_PENDING',
  STATION_REVOKED: 'REVOKED',
  SIGNATURE_MISSING: 'SIGNATURE_REFUSED',
  SIGNATURE_INVALID: 'SIGNATURE_REFUSED',
  SIGNATURE_STALE: 'SIGNATURE_REFUSED',
  SIGNATURE_REPLAYED: 'SIGNATURE_REFUSED',
  CONTENT_DIGEST_MISMATCH: 'SIGNATURE_REFUSED',
};

type Problem = { code?: string; detail?: string; state?: string; errorCode?: string | null };

function explain(status: number, problem: Problem, serial?: string): StationError {
  const code = isStationProblemCode(problem.code) ? CODES[problem.code] : undefined;
  const unit = serial ? `unit ${serial}` : 'request';
  switch (code) {
    case 'UNKNOWN_SERIAL':
      return new StationError(
        code,
        `unknown serial ${serial ?? ''}: check the label, or ask whether the MES sent this unit`,
      );
    case 'NOT_PROVISIONED':
      if (problem.state === 'FAILED')
        return new StationError(
          'UNIT_FAILED',
          `${unit} FAILED: ${problem.errorCode ?? 'no error code'}; put it aside and report it (an admin retries or reprovisions it)`,
        );
      return new StationError(
        code,
        `${unit} is not provisioned yet (state ${problem.state ?? '?'}): put it aside and scan it again later`,
      );
    case 'AWAITING_CSR':
      return new StationError(
        code,
        `${unit} holds its own key (device-csr batch) and waits for its CSR: start the station with --csr-command and --write-cert-command`,
      );
    case 'ALREADY_BURNED':
      return new StationError(
        code,
        `${unit} is already burned: do not burn it twice; an admin re-provisions it if it must be redone`,
      );
    case 'OTHER_STATION':
      return new StationError(
        code,
        `${unit} was downloaded by another station: an admin must reassign it (POST /v1/devices/${serial ?? '<serial>'}/reassign)`,
      );
    case 'NOT_ASSIGNED':
      return new StationError(
        code,
        `this station is not assigned to the batch of ${unit}: ask an admin to assign it`,
      );
    case 'NO_PUBLIC_KEY':
      return new StationError(
        code,
        'the server has no public key for this station: run "claimline-station init" again',
      );
    case 'KEY_PENDING':
      return new StationError(
        code,
        'the server has not approved this station key yet: an admin compares the fingerprints init printed (GET /v1/stations/<name>) and approves them',
      );
    case 'REVOKED':
      return new StationError(code, 'this station is revoked: ask an admin');
    case 'SIGNATURE_REFUSED':
      return new StationError(
        code,
        `the server refused the request signature (${problem.code ?? '?'}: ${problem.detail ?? 'no detail'}): check the clock of this PC, or run init again`,
      );
    default:
      if (status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429) {
        return new StationError(
          'REJECTED',
          `server refused (${status}${problem.code ? ` ${problem.code}` : ''}): ${problem.detail ?? 'no detail'}`,
        );
      }
      return new StationError(
        'SERVER_ERROR',
        `server answered ${status}${problem.code ? ` ${problem.code}` : ''}: ${problem.detail ?? 'no detail'}`,
      );
  }
}

export type ApiClient = {
  /** `waitSeconds`: long poll while the unit is being provisioned (device-csr: while AWS signs). */
  credentials(serial: string, waitSeconds?: number): Promise<Credentials>;
  submitCsr(serial: string, csrPem: string): Promise<SubmitCsrResult>;
  prefetchPage(batchId: string, cursor: string | null, limit: number): Promise<CredentialsPage>;
  confirm(serial: string, body: ConfirmBody): Promise<ConfirmResult>;
  batches(): Promise<StationBatches>;
  setKey(publicKey: string, signingPublicKey: string): Promise<StationKey>;
};

export type ClientOptions = {
  signer: RequestSigner;
  /** The server's TLS CA pinned at init (PEM); absent: the system's CAs. */
  serverCaPem?: string;
  insecureHttp?: boolean;
  /** The server's bundle key pinned at init: every bundle received is checked with it (signature, age). */
  bundleKey?: KeyObject;
};

function checkBundles(items: Credentials[], key: KeyObject | undefined): void {
  if (!key) return;
  const now = new Date();
  for (const item of items) {
    const check = verifyBundle(item, key, now);
    if (!check.ok)
      throw new StationError(
        'BUNDLE_REFUSED',
        `unit ${item.serial}: ${check.reason}; do not burn, report it`,
      );
  }
}

/** An answer that is not what the contract says: a server of another version, or a proxy's page. */
function unexpectedAnswer(path: string, error: z.ZodError): StationError {
  const where = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`)
    .join('; ');
  return new StationError(
    'SERVER_ERROR',
    `server answered ${path} with an unexpected body (${where}): is the station at the server's version?`,
  );
}

const MAX_THROTTLED_ATTEMPTS = 8;

/** Retry-After in seconds (as the API sends it), bounded; 1 s when absent or unreadable. */
function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 30) * 1000 : 1000;
}

export function createApiClient(
  server: string,
  apiKey: string,
  timeoutMs: number,
  options: ClientOptions,
): ApiClient {
  checkServerUrl(server, options.insecureHttp ?? false);
  const base = server.replace(/\/+$/, '');
  const doFetch = createFetch(options.serverCaPem);
  async function call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
    serial?: string,
    callTimeoutMs = timeoutMs,
  ): Promise<z.output<S>> {
    // Every station call is idempotent (downloads, PUT key, confirm), so a 429 is waited out and retried.
    // (A CSR sent twice is refused CSR_ALREADY_RECEIVED, never applied twice.)
    for (let attempt = 1; ; attempt++) {
      const res = await send(method, path, body, callTimeoutMs);
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = {};
      }
      if (res.status === 429 && attempt < MAX_THROTTLED_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs(res.headers.get('retry-after'))));
        continue;
      }
      if (!res.ok) throw explain(res.status, parsed as Problem, serial);
      const answer = schema.safeParse(parsed);
      if (!answer.success) throw unexpectedAnswer(path.split('?')[0] ?? path, answer.error);
      return answer.data;
    }
  }
  async function send(method: string, path: string, body: unknown, callTimeoutMs: number): Promise<Response> {
    const text = body ? JSON.stringify(body) : undefined;
    // Signed anew for each attempt: the server refuses a nonce twice.
    const signature = await options.signer.sign({
      method,
      url: `${base}${path}`,
      ...(text ? { body: text } : {}),
    });
    try {
      return await doFetch(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${apiKey}`,
          Accept: 'application/json',
          ...signature,
          ...(text ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(text ? { body: text } : {}),
        signal: AbortSignal.timeout(callTimeoutMs),
      });
    } catch (error) {
      const inner = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } })
        .cause;
      const cause = inner?.code ?? inner?.errors?.[0]?.code ?? inner?.message ?? (error as Error).name;
      throw new StationError(
        'SERVER_UNREACHABLE',
        `server ${base} unreachable (${cause}): to keep working, prefetch a batch while online and use "run --offline"`,
      );
    }
  }
  const enc = encodeURIComponent;
  return {
    credentials: async (serial, waitSeconds = 0) => {
      const creds = await call(
        credentialsSchema,
        'GET',
        `/v1/station/devices/${enc(serial)}/credentials${waitSeconds > 0 ? `?waitSeconds=${waitSeconds}` : ''}`,
        undefined,
        serial,
        timeoutMs + waitSeconds * 1000,
      );
      checkBundles([creds], options.bundleKey);
      return creds;
    },
    prefetchPage: async (batchId, cursor, limit) => {
      const page = await call(
        credentialsPageSchema,
        'GET',
        `/v1/station/batches/${enc(batchId)}/credentials?limit=${limit}${cursor ? `&cursor=${enc(cursor)}` : ''}`,
      );
      checkBundles(page.items, options.bundleKey);
      return page;
    },
    submitCsr: (serial, csrPem) =>
      call(submitCsrResultSchema, 'POST', `/v1/station/devices/${enc(serial)}/csr`, { csrPem }, serial),
    confirm: (serial, body) =>
      call(confirmResultSchema, 'POST', `/v1/station/devices/${enc(serial)}/confirm`, body, serial),
    batches: () => call(stationBatchesSchema, 'GET', '/v1/station/batches'),
    setKey: (publicKey, signingPublicKey) =>
      call(stationKeySchema, 'PUT', '/v1/station/key', { publicKey, signingPublicKey }),
  };
}
