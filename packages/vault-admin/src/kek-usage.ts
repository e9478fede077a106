import type { PrismaClient } from '@claimline/db';
import { SEALED_COLUMNS } from '@claimline/device-ledger';
import { serverSigningKeysPerKek } from './server-signing-keys.js';

/** How many stored secrets one KEK wraps. */
export type KekUsage = {
  kekId: string;
  privateKeys: number;
  ownershipTokens: number;
  /** The API's bundle-signing key(s): few, but retiring their KEK would stop every download. */
  serverSigningKeys: number;
  total: number;
};

type Db = Pick<PrismaClient, '$queryRawUnsafe'>;

export { unused as emptyKekUsage };

const unused = (kekId: string): KekUsage => ({
  kekId,
  privateKeys: 0,
  ownershipTokens: 0,
  serverSigningKeys: 0,
  total: 0,
});

/** Rows per KEK, most used first; shredded secrets (no wrapped key left) are not counted. */
export async function kekUsage(prisma: Db): Promise<KekUsage[]> {
  const byKek = new Map<string, KekUsage>();
  for (const { purpose, prefix } of SEALED_COLUMNS) {
    const rows = await prisma.$queryRawUnsafe<{ kek_id: string; n: number }[]>(
      `SELECT ${prefix}_kek_id AS kek_id, count(*)::int AS n FROM certificate
       WHERE ${prefix}_wrapped_key IS NOT NULL GROUP BY 1`,
    );
    for (const { kek_id: kekId, n } of rows) {
      const usage = byKek.get(kekId) ?? unused(kekId);
      if (purpose === 'private-key') usage.privateKeys += n;
      else usage.ownershipTokens += n;
      usage.total += n;
      byKek.set(kekId, usage);
    }
  }
  for (const [kekId, n] of await serverSigningKeysPerKek(prisma)) {
    const usage = byKek.get(kekId) ?? unused(kekId);
    usage.serverSigningKeys += n;
    usage.total += n;
    byKek.set(kekId, usage);
  }
  return [...byKek.values()].sort((a, b) => b.total - a.total || a.kekId.localeCompare(b.kekId));
}

/** Sealed secrets still wrapped under `kekId` (0: the KEK can be retired). */
export async function secretsUnderKek(prisma: Db, kekId: string): Promise<number> {
  return (await kekUsage(prisma)).find((usage) => usage.kekId === kekId)?.total ?? 0;
}

/** Sealed secrets wrapped under any KEK but `activeKekId`: what a rotation still has to do. */
export async function secretsNotUnder(prisma: Db, activeKekId: string): Promise<number> {
  return (await kekUsage(prisma))
    .filter((usage) => usage.kekId !== activeKekId)
    .reduce((sum, usage) => sum + usage.total, 0);
}
