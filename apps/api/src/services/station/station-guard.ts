import type { Request } from 'express';
import { consumeNonce, verifyStationSignature } from '../../auth/station-signature.js';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { recordSigningKey } from './station-identity.js';

/** What verifying a station's signature needs: its active signing key and a pending replacement. */
type SigningKeys = { name: string; signing: string | null; pending: string | null; revoked: boolean };
type Cached = { keys: SigningKeys; at: number };

const CACHE_TTL_MS = 300_000;
const CACHE_MAX = 10_000;
/** Per app (keyed by its Prisma client): tests run many apps on cloned databases in one process. */
const caches = new WeakMap<object, Map<string, Cached>>();

async function readSigningKeys(ctx: HandlerContext, stationId: string): Promise<SigningKeys> {
  const [row] = await ctx.deps.prisma.$queryRawUnsafe<
    { name: string; signing: string | null; pending: string | null; revoked: boolean }[]
  >(
    `SELECT name, signing_public_key AS signing, pending_signing_public_key AS pending,
            revoked_at IS NOT NULL AS revoked
       FROM station WHERE id = $1::uuid`,
    stationId,
  );
  if (!row) throw new AppError('NOT_A_STATION', 'the station of this key no longer exists');
  if (row.revoked) throw new AppError('STATION_REVOKED', `station ${row.name} is revoked`);
  return row;
}

async function verifyWith(req: Request, keys: SigningKeys) {
  if (!keys.signing)
    throw new AppError(
      'STATION_NO_PUBLIC_KEY',
      `station ${keys.name} has no signing key yet: run "claimline-station init" on the line PC`,
    );
  const pending = keys.pending ? { pem: keys.pending, code: 'STATION_KEY_PENDING' as const } : undefined;
  return { pem: keys.signing, signature: await verifyStationSignature(req, keys.signing, pending) };
}

/**
 * Proof of possession for every station request but the enrolment (which proves possession of the key
 * it uploads): the API key says which station, the signature that the caller holds its signing key.
 * An API key alone gets 401 SIGNATURE_MISSING.
 *
 * The station's signing keys are cached per process, so the check costs no database round trip on the
 * download path. The cache is never the authority: a signature that fails against a cached key is
 * checked again against the database's, and every signed handler reads the station afresh
 * (`requireStation`, the download's single query) and refuses it when it is revoked or when its
 * signing key is no longer the one this signature verified with (`recordSigningKey`).
 */
export async function requireSignedStation(ctx: HandlerContext, req: Request): Promise<void> {
  const { stationId } = ctx.principal;
  if (!stationId)
    throw new AppError(
      'NOT_A_STATION',
      `the ${ctx.principal.role} key ${ctx.principal.prefix} does not belong to a station`,
    );
  let cache = caches.get(ctx.deps.prisma);
  if (!cache) caches.set(ctx.deps.prisma, (cache = new Map()));
  const cached = cache.get(stationId);
  let verified: Awaited<ReturnType<typeof verifyWith>> | undefined;
  if (cached && Date.now() - cached.at < CACHE_TTL_MS)
    verified = await verifyWith(req, cached.keys).catch(() => undefined);
  if (!verified) {
    const keys = await readSigningKeys(ctx, stationId);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(stationId, { keys, at: Date.now() });
    verified = await verifyWith(req, keys);
  }
  await consumeNonce(ctx.deps.redis, ctx.deps.config.QUEUE_PREFIX, stationId, verified.signature.nonce);
  recordSigningKey(ctx, verified.pem);
}
