import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { PrismaClient } from '@claimline/db';
import { keyFingerprint } from '@claimline/station-contract';
import { serverSigningKeyContext as context, type Vault } from '@claimline/vault';

const PURPOSE = 'bundle';

export type BundleKey = {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  fingerprint: string;
};

/**
 * The API's bundle-signing key (Ed25519): made by the first API process that needs it, its private half
 * sealed by the vault (local KEK or AWS KMS) in `server_signing_key`, so every API process signs with the
 * same key and the stations pin one. Opened once per process.
 */
export function createBundleKeySource(prisma: PrismaClient, vault: () => Vault): () => Promise<BundleKey> {
  let loading: Promise<BundleKey> | undefined;
  const load = async (): Promise<BundleKey> => {
    let row = await prisma.serverSigningKey.findUnique({ where: { purpose: PURPOSE } });
    if (!row) {
      const pair = generateKeyPairSync('ed25519');
      const fingerprint = keyFingerprint(pair.publicKey);
      const der = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
      const sealed = await vault().seal({ plaintext: der, context: context(fingerprint) });
      der.fill(0);
      await prisma.serverSigningKey.createMany({
        data: [
          {
            purpose: PURPOSE,
            fingerprint,
            publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
            privateKeyCiphertext: new Uint8Array(sealed.ciphertext),
            privateKeyWrappedKey: new Uint8Array(sealed.wrappedKey),
            privateKeyKekId: sealed.kekId,
            privateKeyAlgorithm: sealed.algorithm,
          },
        ],
        skipDuplicates: true, // another API process made one first: use that one
      });
      row = await prisma.serverSigningKey.findUniqueOrThrow({ where: { purpose: PURPOSE } });
    }
    const der = await vault().open(
      {
        ciphertext: Buffer.from(row.privateKeyCiphertext),
        wrappedKey: Buffer.from(row.privateKeyWrappedKey),
        kekId: row.privateKeyKekId,
        algorithm: row.privateKeyAlgorithm,
      },
      context(row.fingerprint),
    );
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    const publicKey = createPublicKey(row.publicKey);
    return { privateKey, publicKey, publicPem: row.publicKey, fingerprint: row.fingerprint };
  };
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
