import type { Station } from '@claimline/db';
import type { Request } from 'express';
import { consumeNonce, verifyStationSignature } from '../../auth/station-signature.js';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { requireStation } from './station-identity.js';

/**
 * Proof of possession for every station request but the enrolment (which proves possession of the key
 * it uploads): the API key says which station, the signature that the caller holds its signing key.
 * An API key alone gets 401 SIGNATURE_MISSING.
 */
export async function requireSignedStation(ctx: HandlerContext, req: Request): Promise<Station> {
  const station = await requireStation(ctx);
  if (!station.signingPublicKey)
    throw new AppError(
      'STATION_NO_PUBLIC_KEY',
      `station ${station.name} has no signing key yet: run "claimline-station init" on the line PC`,
    );
  const pending = station.pendingSigningPublicKey
    ? { pem: station.pendingSigningPublicKey, code: 'STATION_KEY_PENDING' as const }
    : undefined;
  const signature = await verifyStationSignature(req, station.signingPublicKey, pending);
  await consumeNonce(ctx.deps.redis, ctx.deps.config.QUEUE_PREFIX, station, signature.nonce);
  return station;
}
