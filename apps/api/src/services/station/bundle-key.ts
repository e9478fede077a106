import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { ApiConfig } from '@claimline/config';
import type { PrismaClient } from '@claimline/db';
import {
  generateSigningKeyPair,
  keyFingerprint,
  localBundleSigner,
  type BundleSigner,
} from '@claimline/station-contract';
import {
  kmsRegionOf,
  openKmsSigningKey,
  serverSigningKeyContext as context,
  type Vault,
} from '@claimline/vault';
import { AppError } from '../../errors/app-error.js';

const PURPOSE = 'bundle';

export type BundleKey = {
  publicKey: KeyObject;
  publicPem: string;
  fingerprint: string;
  signer: BundleSigner;
};

/**
 * The API's bundle-signing key. By default ECDSA P-256, made by the first API process that needs it, its
 * private half sealed by the vault (local KEK or AWS KMS) in `server_signing_key`, so every API process
 * signs with the same key and the stations pin one. Opened once per process. A deployment whose first
 * API made an Ed25519 key (before P-256 became the default) keeps it: its stations pinned it. With
 * API_BUNDLE_KMS_KEY_ID, a P-256 key in AWS KMS instead: its private half never leaves KMS.
 */
export function createBundleKeySource(
  config: ApiConfig,
  prisma: PrismaClient,
  vault: () => Vault,
): () => Promise<BundleKey> {
  const load = config.API_BUNDLE_KMS_KEY_ID ? () => loadFromKms(config) : () => loadSealed(prisma, vault);
  let loading: Promise<BundleKey> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

async function loadFromKms(config: ApiConfig): Promise<BundleKey> {
  const keyId = config.API_BUNDLE_KMS_KEY_ID!;
  const region = kmsRegionOf(keyId) ?? config.VAULT_KMS_REGION;
  if (!region)
    throw new AppError(
      'CREDENTIALS_UNAVAILABLE',
      'API_BUNDLE_KMS_KEY_ID is not a key ARN: set VAULT_KMS_REGION to the key region',
    );
  const key = await openKmsSigningKey({
    keyId,
    region,
    ...(config.VAULT_KMS_ENDPOINT ? { endpoint: config.VAULT_KMS_ENDPOINT } : {}),
  });
  const fingerprint = keyFingerprint(key.publicKey);
  return {
    publicKey: key.publicKey,
    publicPem: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint,
    signer: { alg: 'ecdsa-p256-sha256', keyId: fingerprint, sign: (bytes) => key.sign(bytes) },
  };
}

async function loadSealed(prisma: PrismaClient, vault: () => Vault): Promise<BundleKey> {
  let row = await prisma.serverSigningKey.findUnique({ where: { purpose: PURPOSE } });
  if (!row) {
    const pair = generateSigningKeyPair('p256');
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
  return {
    publicKey: createPublicKey(row.publicKey),
    publicPem: row.publicKey,
    fingerprint: row.fingerprint,
    signer: localBundleSigner(privateKey),
  };
}
