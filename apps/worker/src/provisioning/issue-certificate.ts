import type { Batch } from '@claimline/db';
import type { Vault } from '@claimline/vault';
import type { IssuedCertificate, KeyAlgorithm } from './claim-port.js';
import type { FlowContext } from './provision-device.js';
import { PermanentProvisioningError } from './provisioning-errors.js';

const KEY_ALGORITHM: Record<Batch['keyAlgorithm'], KeyAlgorithm> = {
  EC_P256: 'ec-p256',
  RSA_2048: 'rsa-2048',
};

/** A new certificate with its private key, or null when the key never left the unit (device-csr). */
type Issued = Omit<IssuedCertificate, 'privateKey'> & { privateKey: string | null };

export async function issueCertificate(ctx: FlowContext): Promise<Issued> {
  const { deps, session, device, time, format } = ctx;
  if (device.batch.mode === 'CREATE_KEYS') {
    const issued = await time('create', () => session.createKeysAndCertificate(format));
    if (!issued.privateKey)
      throw new PermanentProvisioningError(
        'MissingPrivateKey',
        'CreateKeysAndCertificate returned no private key',
      );
    return { ...issued, privateKey: issued.privateKey };
  }
  if (device.batch.mode === 'DEVICE_CSR') {
    // The key was born in the unit and stays there: AWS signs the CSR a station posted for it.
    const csrPem = device.csrPem;
    if (!csrPem) throw new PermanentProvisioningError('MissingCsr', 'the unit has no CSR stored');
    const issued = await time('create', () => session.createCertificateFromCsr(csrPem, format));
    return { ...issued, privateKey: null };
  }
  const { privateKeyPem, csrPem } = await time('keygen', () =>
    deps.claims.generateKeyAndCsr(KEY_ALGORITHM[device.batch.keyAlgorithm], device.serial),
  );
  const issued = await time('create', () => session.createCertificateFromCsr(csrPem, format));
  return { ...issued, privateKey: privateKeyPem };
}

/**
 * The new certificate's private key and ownership token, each sealed to its purpose, serial and id.
 * A unit that holds its own key (device-csr) has only its token sealed: there is no key to store.
 */
export async function sealIssued(vault: Vault, serial: string, issued: Issued) {
  const context = { serial, certificateId: issued.certificateId };
  const [key, token] = await Promise.all([
    issued.privateKey === null
      ? null
      : vault.seal({
          plaintext: Buffer.from(issued.privateKey, 'utf8'),
          context: { ...context, purpose: 'private-key' },
        }),
    vault.seal({
      plaintext: Buffer.from(issued.certificateOwnershipToken, 'utf8'),
      context: { ...context, purpose: 'ownership-token' },
    }),
  ]);
  return { certificateId: issued.certificateId, certificatePem: issued.certificatePem, key, token };
}
