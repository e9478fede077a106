import { randomBytes } from 'node:crypto';
import { loadConfig, vaultSchema, type Env } from '@claimline/config';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { createVault } from '@claimline/vault';
import { kekUsage, retireKek, rotateToActiveKek, type RotationProgress } from '../src/index.js';
import {
  expectAllOpen,
  seedCertificates,
  seedServerSigningKey,
  storedRecord,
  storedServerKey,
} from './fixtures.js';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const vaultFor = (env: Env) => {
  const config = loadConfig('vault', vaultSchema, env);
  return { config, vault: createVault(config) };
};

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.drop());

describe('rotateToActiveKek (local keys, real rows)', () => {
  it('re-wraps every secret in batches; a second run has nothing to do; k1 can then be retired', async () => {
    const old = vaultFor({ VAULT_LOCAL_KEYS: `k1:${k1}` });
    const secrets = await seedCertificates(db.prisma, old.vault, 5);
    // A shredded private key keeps its kek id but no wrapped key: nothing to re-wrap, nothing to block retiring.
    await db.query(
      `UPDATE certificate SET private_key_ciphertext = NULL, private_key_wrapped_key = NULL, shredded_at = now()
       WHERE certificate_id = $1`,
      [secrets[0]!.context.certificateId],
    );
    const live = secrets.slice(1);
    const { vault, config } = vaultFor({ VAULT_LOCAL_KEYS: `k2:${k2},k1:${k1}` });

    const refused = await retireKek({ prisma: db.prisma, vault, config, kekId: 'k1' });
    expect(refused).toMatchObject({ outcome: 'refused', reason: 'IN_USE', kekId: 'local:k1' });
    expect(await kekUsage(db.prisma)).toEqual([
      { kekId: 'local:k1', privateKeys: 4, ownershipTokens: 5, serverSigningKeys: 0, total: 9 },
    ]);

    const progress: RotationProgress[] = [];
    const summary = await rotateToActiveKek({
      prisma: db.prisma,
      vault,
      batchSize: 2,
      onProgress: (p) => progress.push(p),
    });
    expect(summary).toMatchObject({
      activeKekId: 'local:k2',
      total: 9,
      done: 9,
      rewrapped: 9,
      failed: 0,
      changedMeanwhile: 0,
      fromKeks: { 'local:k1': 9 },
    });
    expect(progress.map((p) => p.done)).toEqual([0, 2, 4, 6, 8, 9]);
    expect(await kekUsage(db.prisma)).toEqual([
      { kekId: 'local:k2', privateKeys: 4, ownershipTokens: 5, serverSigningKeys: 0, total: 9 },
    ]);
    const onlyK2 = vaultFor({ VAULT_LOCAL_KEYS: `k2:${k2}` }).vault;
    expect(new Set(await expectAllOpen(db.prisma, onlyK2, live))).toEqual(new Set(['local:k2']));

    expect(await rotateToActiveKek({ prisma: db.prisma, vault })).toMatchObject({ total: 0, rewrapped: 0 });
    expect(await retireKek({ prisma: db.prisma, vault, config, kekId: 'local:k2' })).toMatchObject({
      outcome: 'refused',
      reason: 'ACTIVE_KEK',
    });
    const retired = await retireKek({ prisma: db.prisma, vault, config, kekId: 'k1' });
    expect(retired).toMatchObject({ outcome: 'unused', kekId: 'local:k1' });
    expect(retired.outcome === 'unused' && retired.instruction).toContain('VAULT_LOCAL_KEYS');
  });

  it('reports a corrupt secret by record, leaves it under its old KEK, and keeps refusing to retire that KEK', async () => {
    const old = vaultFor({ VAULT_LOCAL_KEYS: `k1:${k1}` });
    const secrets = await seedCertificates(db.prisma, old.vault, 3);
    const victim = secrets[2]!.context; // the second unit's private key
    const record = await storedRecord(db.prisma, victim);
    record.ciphertext[20] = (record.ciphertext[20] as number) ^ 1;
    await db.query(`UPDATE certificate SET private_key_ciphertext = $1 WHERE certificate_id = $2`, [
      record.ciphertext,
      victim.certificateId,
    ]);
    const { vault, config } = vaultFor({ VAULT_LOCAL_KEYS: `k2:${k2},k1:${k1}` });

    const summary = await rotateToActiveKek({ prisma: db.prisma, vault, batchSize: 2 });
    expect(summary).toMatchObject({ total: 6, done: 6, rewrapped: 5, failed: 1 });
    expect(summary.failures).toEqual([
      expect.objectContaining({
        serial: victim.serial,
        certificateId: victim.certificateId,
        purpose: 'private-key',
        fromKekId: 'local:k1',
        code: 'DECRYPT_FAILED',
      }),
    ]);
    expect((await storedRecord(db.prisma, victim)).kekId).toBe('local:k1');
    expect(await retireKek({ prisma: db.prisma, vault, config, kekId: 'k1' })).toMatchObject({
      outcome: 'refused',
      reason: 'IN_USE',
    });
    await expectAllOpen(
      db.prisma,
      vault,
      secrets.filter((s) => s !== secrets[2]),
    );
  });

  it('keeps a value written by someone else between its read and its write', async () => {
    const old = vaultFor({ VAULT_LOCAL_KEYS: `k1:${k1}` });
    const secrets = await seedCertificates(db.prisma, old.vault, 2);
    const { vault } = vaultFor({ VAULT_LOCAL_KEYS: `k2:${k2},k1:${k1}` });
    const target = secrets[0]!.context;
    // The "someone else": the private key is shredded while the rotation holds the batch in memory.
    const racing = {
      ...vault,
      rewrap: async (...args: Parameters<typeof vault.rewrap>) => {
        if (args[1].certificateId === target.certificateId && args[1].purpose === 'private-key') {
          await db.query(
            `UPDATE certificate SET private_key_ciphertext = NULL, private_key_wrapped_key = NULL WHERE certificate_id = $1`,
            [target.certificateId],
          );
        }
        return vault.rewrap(...args);
      },
    };
    const summary = await rotateToActiveKek({ prisma: db.prisma, vault: racing, batchSize: 10 });
    expect(summary).toMatchObject({ total: 4, rewrapped: 3, changedMeanwhile: 1, failed: 0 });
    const [row] = await db.query<{ wrapped: Buffer | null }>(
      `SELECT private_key_wrapped_key AS wrapped FROM certificate WHERE certificate_id = $1`,
      [target.certificateId],
    );
    expect(row?.wrapped).toBeNull();
  });

  it("re-wraps the API's bundle-signing key too, and refuses to retire a KEK that only that key still uses", async () => {
    const old = vaultFor({ VAULT_LOCAL_KEYS: `k1:${k1}` });
    await seedCertificates(db.prisma, old.vault, 1);
    const serverKey = await seedServerSigningKey(db.prisma, old.vault);
    const { vault, config } = vaultFor({ VAULT_LOCAL_KEYS: `k2:${k2},k1:${k1}` });
    expect(await kekUsage(db.prisma)).toEqual([
      { kekId: 'local:k1', privateKeys: 1, ownershipTokens: 1, serverSigningKeys: 1, total: 3 },
    ]);

    // Only the server key under k1: retiring k1 would stop every download, so it is refused.
    await db.query(
      `UPDATE certificate SET private_key_wrapped_key = NULL, ownership_token_wrapped_key = NULL`,
    );
    expect(await retireKek({ prisma: db.prisma, vault, config, kekId: 'k1' })).toMatchObject({
      outcome: 'refused',
      reason: 'IN_USE',
    });

    const summary = await rotateToActiveKek({ prisma: db.prisma, vault });
    expect(summary).toMatchObject({
      total: 1,
      done: 1,
      rewrapped: 1,
      failed: 0,
      fromKeks: { 'local:k1': 1 },
    });
    const record = await storedServerKey(db.prisma);
    expect(record.kekId).toBe('local:k2');
    const onlyK2 = vaultFor({ VAULT_LOCAL_KEYS: `k2:${k2}` }).vault;
    expect(await onlyK2.open(record, serverKey.context)).toEqual(serverKey.plaintext);
    expect(await retireKek({ prisma: db.prisma, vault, config, kekId: 'k1' })).toMatchObject({
      outcome: 'unused',
    });
  });
});
