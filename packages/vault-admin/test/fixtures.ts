import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { PrismaClient } from '@claimline/db';
import { serverSigningKeyContext, type RecordContext, type SealedRecord, type Vault } from '@claimline/vault';

/** One certificate row with both secrets sealed, as the worker stores them. */
export type SeededSecret = { context: RecordContext; plaintext: Buffer };

export async function seedCertificates(
  prisma: PrismaClient,
  vault: Vault,
  count: number,
  prefix = 'SN-ROT-',
): Promise<SeededSecret[]> {
  const batch = await prisma.batch.create({ data: { externalRef: `WO-${prefix}`, templateName: 't' } });
  const secrets: SeededSecret[] = [];
  for (let i = 0; i < count; i++) {
    const serial = `${prefix}${String(i).padStart(4, '0')}`;
    const certificateId = createHash('sha256').update(serial).digest('hex');
    const key = { serial, certificateId, purpose: 'private-key' } as const;
    const token = { serial, certificateId, purpose: 'ownership-token' } as const;
    const keyPlain = Buffer.from(`-----BEGIN PRIVATE KEY-----\n${serial}\n-----END PRIVATE KEY-----\n`);
    const tokenPlain = Buffer.from(`token-${serial}`);
    const [k, t] = await Promise.all([
      vault.seal({ plaintext: keyPlain, context: key }),
      vault.seal({ plaintext: tokenPlain, context: token }),
    ]);
    await prisma.device.create({
      data: {
        serial,
        batchId: batch.id,
        state: 'REGISTERED',
        certificates: {
          create: {
            certificateId,
            certificatePem: '-----BEGIN CERTIFICATE-----\nunused\n-----END CERTIFICATE-----\n',
            status: 'ISSUED',
            privateKeyCiphertext: new Uint8Array(k.ciphertext),
            privateKeyWrappedKey: new Uint8Array(k.wrappedKey),
            privateKeyKekId: k.kekId,
            privateKeyAlgorithm: k.algorithm,
            ownershipTokenCiphertext: new Uint8Array(t.ciphertext),
            ownershipTokenWrappedKey: new Uint8Array(t.wrappedKey),
            ownershipTokenKekId: t.kekId,
            ownershipTokenAlgorithm: t.algorithm,
          },
        },
      },
    });
    secrets.push({ context: key, plaintext: keyPlain }, { context: token, plaintext: tokenPlain });
  }
  return secrets;
}

/** The API's bundle-signing key row, sealed as the API seals it; returns its plaintext and context. */
export async function seedServerSigningKey(prisma: PrismaClient, vault: Vault): Promise<SeededSecret> {
  const pair = generateKeyPairSync('ed25519');
  const fingerprint = createHash('sha256')
    .update(pair.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  const plaintext = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
  const context = serverSigningKeyContext(fingerprint);
  const sealed = await vault.seal({ plaintext, context });
  await prisma.serverSigningKey.create({
    data: {
      purpose: 'bundle',
      fingerprint,
      publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyCiphertext: new Uint8Array(sealed.ciphertext),
      privateKeyWrappedKey: new Uint8Array(sealed.wrappedKey),
      privateKeyKekId: sealed.kekId,
      privateKeyAlgorithm: sealed.algorithm,
    },
  });
  return { context, plaintext };
}

/** The server signing key row's sealed record. */
export async function storedServerKey(prisma: PrismaClient): Promise<SealedRecord> {
  const row = await prisma.serverSigningKey.findUniqueOrThrow({ where: { purpose: 'bundle' } });
  return {
    ciphertext: Buffer.from(row.privateKeyCiphertext),
    wrappedKey: Buffer.from(row.privateKeyWrappedKey),
    kekId: row.privateKeyKekId,
    algorithm: row.privateKeyAlgorithm,
  };
}

/** The stored record of one secret, read back from its four columns. */
export async function storedRecord(prisma: PrismaClient, context: RecordContext): Promise<SealedRecord> {
  const c = await prisma.certificate.findUniqueOrThrow({ where: { certificateId: context.certificateId } });
  const [ciphertext, wrappedKey, kekId, algorithm] =
    context.purpose === 'private-key'
      ? [c.privateKeyCiphertext, c.privateKeyWrappedKey, c.privateKeyKekId, c.privateKeyAlgorithm]
      : [
          c.ownershipTokenCiphertext,
          c.ownershipTokenWrappedKey,
          c.ownershipTokenKekId,
          c.ownershipTokenAlgorithm,
        ];
  if (!ciphertext || !wrappedKey || !kekId || !algorithm)
    throw new Error(`${context.serial}: no sealed secret`);
  return { ciphertext: Buffer.from(ciphertext), wrappedKey: Buffer.from(wrappedKey), kekId, algorithm };
}

/** Every seeded secret still opens to its plaintext; returns the KEK ids they are under. */
export async function expectAllOpen(prisma: PrismaClient, vault: Vault, secrets: SeededSecret[]) {
  const keks: string[] = [];
  for (const { context, plaintext } of secrets) {
    const record = await storedRecord(prisma, context);
    expect(await vault.open(record, context)).toEqual(plaintext);
    keks.push(record.kekId);
  }
  return keks;
}

const repoRoot = path.resolve(__dirname, '../../..');
const tsxLoader = require.resolve('tsx/cjs', { paths: [repoRoot] });
const cliMain = path.resolve(__dirname, '../src/cli.ts');

export type CliChild = {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stderr line that matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** `claimline-vault` from its sources, as its own process (Node with tsx's loader: signals reach it). */
export function spawnCli(args: string[], env: Record<string, string>): CliChild {
  const child = spawn(
    process.execPath,
    ['--require', tsxLoader, '--conditions=claimline-source', cliMain, ...args],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    for (const waiter of [...waiters]) {
      const line = err.split('\n').find((l) => waiter.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      const seen = err.split('\n').find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr:\n${err}`)),
          timeoutMs,
        );
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`exited before a line matching ${pattern}; stderr:\n${err}\nstdout:\n${out}`));
        });
      });
    },
  };
}

/** Runs the CLI to its end. */
export async function runCli(args: string[], env: Record<string, string>) {
  const cli = spawnCli(args, env);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
