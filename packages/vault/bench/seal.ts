/**
 * seal+open per second through the local provider, against raw AES-256-GCM encrypt+decrypt of the same
 * plaintext in the same process (the floor: one GCM pass each way, no key wrapping, no AAD encoding).
 * Run: pnpm --filter @claimline/vault bench [--json]
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadConfig, vaultSchema } from '@claimline/config';
import { createVault, type RecordContext } from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const plaintext = randomBytes(241); // about a PEM-encoded P-256 private key
const context: RecordContext = {
  serial: 'SN-BENCH-000001',
  certificateId: 'c'.repeat(64),
  purpose: 'private-key',
};

async function rate(run: () => Promise<void> | void): Promise<number> {
  for (let i = 0; i < 2_000; i += 1) await run();
  let count = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  while (process.hrtime.bigint() - start < budget) {
    for (let i = 0; i < 500; i += 1) await run();
    count += 500;
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main(): Promise<void> {
  const vault = createVault(
    loadConfig('vault', vaultSchema, { VAULT_LOCAL_KEYS: `k1:${randomBytes(32).toString('base64')}` }),
  );
  const key = randomBytes(32);
  const raw = () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(cipher.getAuthTag());
    Buffer.concat([decipher.update(body), decipher.final()]);
  };
  const sealOpen = async () => {
    await vault.open(await vault.seal({ plaintext, context }), context);
  };

  // Interleaved twice so that a warm-up or a noisy neighbour does not favour one side.
  const rawRates = [await rate(raw), 0];
  const vaultRates = [await rate(sealOpen), 0];
  rawRates[1] = await rate(raw);
  vaultRates[1] = await rate(sealOpen);
  const rawBest = Math.max(...rawRates);
  const vaultBest = Math.max(...vaultRates);
  console.log(`plaintext ${plaintext.length} bytes, ${SECONDS}s per run, best of 2, node ${process.version}`);
  console.log(`raw AES-256-GCM encrypt+decrypt : ${Math.round(rawBest).toLocaleString('en')} /s`);
  console.log(`vault local seal+open          : ${Math.round(vaultBest).toLocaleString('en')} /s`);
  console.log(`ratio vault/raw                : ${(vaultBest / rawBest).toFixed(2)}`);
  if (process.argv.includes('--json')) {
    const result = {
      name: `vault local seal+open/s (${plaintext.length} B)`,
      value: Math.round(vaultBest),
      unit: 'ops/s',
      baseline: { name: 'raw AES-256-GCM encrypt+decrypt', value: Math.round(rawBest) },
      ratio: Number((vaultBest / rawBest).toFixed(2)),
      target: null,
      pass: null,
    };
    console.log(JSON.stringify({ bench: '@claimline/vault', results: [result] }));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
