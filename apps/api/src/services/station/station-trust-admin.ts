import { createPublicKey } from 'node:crypto';
import type { Station } from '@claimline/db';
import { keyFingerprint } from '@claimline/station-contract';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { audit } from '../audit.js';

const fingerprintOf = (pem: string | null) => (pem ? keyFingerprint(createPublicKey(pem)) : null);

async function stationNamed(ctx: HandlerContext, name: string): Promise<Station> {
  const station = await ctx.deps.prisma.station.findUnique({ where: { name } });
  if (!station) throw new AppError('STATION_NOT_FOUND', `no station ${name}`, { name });
  return station;
}

/** What an ADMIN compares with the fingerprints `claimline-station init` printed on the line PC. */
export function stationView(station: Station) {
  return {
    id: station.id,
    name: station.name,
    line: station.line,
    createdAt: station.createdAt.toISOString(),
    revokedAt: station.revokedAt?.toISOString() ?? null,
    active: {
      fingerprint: fingerprintOf(station.publicKey),
      signingFingerprint: fingerprintOf(station.signingPublicKey),
    },
    pending: station.pendingSigningPublicKey
      ? {
          fingerprint: fingerprintOf(station.pendingPublicKey),
          signingFingerprint: fingerprintOf(station.pendingSigningPublicKey),
          since: station.pendingSince?.toISOString() ?? null,
        }
      : null,
  };
}

export async function showStation(ctx: HandlerContext, name: string) {
  return stationView(await stationNamed(ctx, name));
}

/**
 * Approves a pending key replacement. The ADMIN states both fingerprints they compared; only if they
 * are the pending ones do the keys become active (the old ones stop working at once).
 */
export async function approveStationKey(
  ctx: HandlerContext,
  name: string,
  stated: { fingerprint: string; signingFingerprint: string },
) {
  return ctx.deps.prisma.$transaction(async (tx) => {
    const station = await tx.station.findUnique({ where: { name } });
    if (!station) throw new AppError('STATION_NOT_FOUND', `no station ${name}`, { name });
    if (!station.pendingPublicKey || !station.pendingSigningPublicKey)
      throw new AppError('NO_PENDING_KEY', `station ${name} has no key replacement to approve`);
    const pending = stationView(station).pending!;
    if (
      pending.fingerprint !== stated.fingerprint ||
      pending.signingFingerprint !== stated.signingFingerprint
    )
      throw new AppError(
        'FINGERPRINT_MISMATCH',
        'compare the fingerprints again: these are not the pending keys',
      );
    const updated = await tx.station.updateMany({
      where: { id: station.id, pendingSigningPublicKey: station.pendingSigningPublicKey },
      data: {
        publicKey: station.pendingPublicKey,
        signingPublicKey: station.pendingSigningPublicKey,
        pendingPublicKey: null,
        pendingSigningPublicKey: null,
        pendingSince: null,
      },
    });
    if (updated.count !== 1)
      throw new AppError('NO_PENDING_KEY', 'the pending key changed meanwhile; look again');
    await audit(tx, ctx, {
      action: 'station.key-replacement-approved',
      details: { stationId: station.id, name, ...stated, previous: stationView(station).active },
    });
    return stationView(await tx.station.findUniqueOrThrow({ where: { id: station.id } }));
  });
}

/** Revokes a station: its next request (any key) and download are refused with 403 STATION_REVOKED. */
export async function revokeStation(ctx: HandlerContext, name: string) {
  return ctx.deps.prisma.$transaction(async (tx) => {
    const station = await tx.station.findUnique({ where: { name } });
    if (!station) throw new AppError('STATION_NOT_FOUND', `no station ${name}`, { name });
    const revoked = station.revokedAt
      ? station
      : await tx.station.update({ where: { id: station.id }, data: { revokedAt: new Date() } });
    if (!station.revokedAt)
      await audit(tx, ctx, { action: 'station.revoke', details: { stationId: station.id, name } });
    return stationView(revoked);
  });
}

/** Revokes any API key by its prefix: its next request gets 401 UNAUTHENTICATED. */
export async function revokeKey(ctx: HandlerContext, prefix: string) {
  return ctx.deps.prisma.$transaction(async (tx) => {
    const key = await tx.apiKey.findUnique({ where: { prefix } });
    if (!key) throw new AppError('API_KEY_NOT_FOUND', `no API key ${prefix}`, { prefix });
    const revokedAt = key.revokedAt ?? new Date();
    if (!key.revokedAt) {
      await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt } });
      await audit(tx, ctx, {
        action: 'api-key.revoke',
        details: { prefix, role: key.role, stationId: key.stationId },
      });
    }
    return { prefix, role: key.role, revokedAt: revokedAt.toISOString() };
  });
}
