import type { ApiKeyRole } from '@claimline/db';

/** Who is calling: the API key, never its secret. */
export type Principal = {
  keyId: string;
  prefix: string;
  role: ApiKeyRole;
  stationId: string | null;
  /** A console session's id (a hash of its cookie) and end, when the call came with the cookie. */
  session?: { id: string; expiresAt: number };
};

export function actorOf(principal: Principal): string {
  return `apikey:${principal.prefix}`;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging needs an interface
    interface Request {
      /** Set by `authenticate`. */
      principal?: Principal;
    }
  }
}
