import { createPublicKey } from 'node:crypto';
import { parseStationPublicKey, StationCryptoError } from '@claimline/station-crypto';
import { keyFingerprint, signingAlgorithmOf, type SigningAlgorithm } from '@claimline/station-contract';
import type { Request } from 'express';
import { consumeNonce, verifyStationSignature } from '../../auth/station-signature.js';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { auditStation, requireStation } from './station-identity.js';
import type { StationSetup } from './station-setup.js';

function parseSealKey(pem: string) {
  try {
    return parseStationPublicKey(pem);
  } catch (error) {
    if (error instanceof StationCryptoError) throw new AppError('INVALID_PUBLIC_KEY', error.message);
    throw error;
  }
}

export function parseSigningKey(pem: string): {
  pem: string;
  algorithm: SigningAlgorithm;
  fingerprint: string;
} {
  let algorithm: SigningAlgorithm | undefined;
  let key;
  try {
    key = createPublicKey(pem);
    algorithm = signingAlgorithmOf(key);
  } catch {
    throw new AppError('INVALID_SIGNING_KEY', 'signingPublicKey is not an SPKI PEM public key');
  }
  if (!algorithm) throw new AppError('INVALID_SIGNING_KEY', 'signingPublicKey must be Ed25519 or P-256');
  return {
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    algorithm,
    fingerprint: keyFingerprint(key),
  };
}

/** What `init` pins: the bundle key, and the endpoint and trust root the API sends to units. */
async function serverFacts(setup: StationSetup) {
  const key = await setup.bundleKey();
  const safe = (read: () => string) => {
    try {
      return read();
    } catch {
      return null;
    }
  };
  return {
    bundleKey: key.publicPem,
    bundleKeyFingerprint: key.fingerprint,
    endpoint: safe(setup.endpoint),
    caPem: safe(setup.caPem),
  };
}

/**
 * Enrolment (issue 13). The request is signed with the signing key it uploads (proof of possession).
 * The station's first keys are accepted; the same keys again change nothing; other keys replace
 * nothing until an ADMIN approves them (POST /v1/stations/:name/key/approve, after comparing the
 * fingerprints `init` printed with GET /v1/stations/:name). Every step is audited.
 */
export async function setStationKey(
  ctx: HandlerContext,
  setup: StationSetup,
  req: Request,
  body: { publicKey: string; signingPublicKey: string },
) {
  const station = await requireStation(ctx);
  const seal = parseSealKey(body.publicKey);
  const signing = parseSigningKey(body.signingPublicKey);
  const signature = await verifyStationSignature(req, signing.pem);
  await consumeNonce(ctx.deps.redis, ctx.deps.config.QUEUE_PREFIX, station.id, signature.nonce);
  const same = station.publicKey === seal.pem && station.signingPublicKey === signing.pem;
  const first = station.publicKey === null && station.signingPublicKey === null;
  const status = first || same ? ('ACTIVE' as const) : ('PENDING' as const);
  const details = {
    algorithm: seal.algorithm,
    fingerprint: seal.fingerprint,
    signingAlgorithm: signing.algorithm,
    signingFingerprint: signing.fingerprint,
  };
  if (!same) {
    await ctx.deps.prisma.$transaction(async (tx) => {
      await tx.station.update({
        where: { id: station.id },
        data: first
          ? { publicKey: seal.pem, signingPublicKey: signing.pem }
          : { pendingPublicKey: seal.pem, pendingSigningPublicKey: signing.pem, pendingSince: new Date() },
      });
      await auditStation(tx, ctx, station, [
        { action: first ? 'station.enrol' : 'station.key-replacement-requested', details },
      ]);
    });
  }
  return {
    stationId: station.id,
    name: station.name,
    status,
    ...details,
    server: await serverFacts(setup),
  };
}
