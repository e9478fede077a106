import { Agent, fetch as undiciFetch } from 'undici';
import { StationError } from './station-error.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The API's URL must be HTTPS, or plain HTTP to this machine itself (loopback); anything else needs
 * the explicit insecure flag, which the station warns about on every start.
 */
export function checkServerUrl(server: string, insecureHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new StationError('INSECURE_SERVER', `${server} is not a URL`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') throw new StationError('INSECURE_SERVER', `${server}: only https:// URLs`);
  if (LOOPBACK.test(url.hostname) || insecureHttp) return;
  throw new StationError(
    'INSECURE_SERVER',
    `${server} is plain HTTP to another machine: anyone on the network could read or change the answers. Use https:// (init --server-ca pins the server's CA), or --insecure-http for a test bench`,
  );
}

export function warnInsecure(insecureHttp: boolean): void {
  if (insecureHttp)
    console.error(
      'WARNING: --insecure-http: plain HTTP to the server is allowed; use it on a test bench only, never on a line',
    );
}

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * fetch, trusting only `caPem` for HTTPS when the station pinned the server's CA at init (otherwise the
 * system's CAs).
 */
export function createFetch(caPem: string | undefined): Fetch {
  if (!caPem) return (url, init) => fetch(url, init);
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return (url, init) =>
    undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    }) as unknown as Promise<Response>;
}
