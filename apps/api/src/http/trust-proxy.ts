/**
 * Express's `trust proxy` from API_TRUST_PROXY: `false` (X-Forwarded-* ignored: the client address is
 * the socket's, `req.secure` is true only on TLS sockets), a hop count, or named ranges / addresses /
 * CIDRs of the proxies. Never `true` (which would believe any client's X-Forwarded-For).
 */
export function trustProxySetting(value: string): boolean | number | string[] {
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}
