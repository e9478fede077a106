import { parseStationPublicKey, StationCryptoError } from '@claimline/station-crypto';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { auditStation, requireStation } from './station-identity.js';

/**
 * The station's public key (SPKI PEM, X25519 or P-256). Replacing it is allowed, so a re-installed line
 * PC can `init` again; units it downloaded under the old key must then be downloaded again.
 */
export async function setStationKey(ctx: HandlerContext, publicKeyPem: string) {
  const station = await requireStation(ctx);
  let parsed: ReturnType<typeof parseStationPublicKey>;
  try {
    parsed = parseStationPublicKey(publicKeyPem);
  } catch (error) {
    if (error instanceof StationCryptoError) throw new AppError('INVALID_PUBLIC_KEY', error.message);
    throw error;
  }
  await ctx.deps.prisma.$transaction(async (tx) => {
    await tx.station.update({ where: { id: station.id }, data: { publicKey: parsed.pem } });
    await auditStation(tx, ctx, station, [
      {
        action: 'station.public-key',
        details: {
          algorithm: parsed.algorithm,
          fingerprint: parsed.fingerprint,
          replaced: station.publicKey !== null,
        },
      },
    ]);
  });
  return {
    stationId: station.id,
    name: station.name,
    algorithm: parsed.algorithm,
    fingerprint: parsed.fingerprint,
  };
}
