#!/usr/bin/env node
// claimline-vault: the vault's keys in the database. See packages/vault-admin/README.md and docs/operations.md.
import { parseArgs } from 'node:util';
import { loadConfig, vaultCliSchema } from '@claimline/config';
import { createPrismaClient } from '@claimline/db';
import { addLocalKey, createVault } from '@claimline/vault';
import { emptyKekUsage, kekUsage } from './kek-usage.js';
import { progressOutput } from './progress-output.js';
import { retireKek } from './retire.js';
import { rotateToActiveKek } from './rotate.js';

const USAGE = `usage: claimline-vault <command>
  status                          stored secrets per KEK (* = active)
  new-local-key                   add a fresh KEK to VAULT_LOCAL_KEYS_FILE and make it active
  rotate [--batch-size N] [--concurrency N]
                                  re-wrap every secret not under the active KEK (resumable)
  retire <kekId>                  refused while a secret uses it; removes it from a key file`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'batch-size': { type: 'string' }, concurrency: { type: 'string' } },
  });
  const [command, arg] = positionals;
  if (!command || !['status', 'new-local-key', 'rotate', 'retire'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig('claimline-vault', vaultCliSchema);
  if (command === 'new-local-key') {
    if (config.VAULT_PROVIDER !== 'local' || !config.VAULT_LOCAL_KEYS_FILE) {
      console.error('new-local-key needs VAULT_PROVIDER=local and VAULT_LOCAL_KEYS_FILE');
      return 2;
    }
    const { id, previous } = addLocalKey(config.VAULT_LOCAL_KEYS_FILE);
    console.log(`local:${id} is now active in ${config.VAULT_LOCAL_KEYS_FILE} (was local:${previous})`);
    console.log('restart the API and the workers so they seal under it, then run "claimline-vault rotate"');
    return 0;
  }
  const vault = createVault(config);
  const prisma = createPrismaClient(config.DATABASE_URL.reveal(), { maxConnections: 2 });
  try {
    if (command === 'status') {
      const active = await vault.resolveActiveKekId();
      const usage = await kekUsage(prisma);
      if (!usage.some((u) => u.kekId === active)) usage.push(emptyKekUsage(active));
      console.log(['', 'kek', 'private keys', 'ownership tokens', 'server signing keys', 'total'].join('\t'));
      for (const u of usage) {
        const mark = u.kekId === active ? '*' : '';
        console.log(
          [mark, u.kekId, u.privateKeys, u.ownershipTokens, u.serverSigningKeys, u.total].join('\t'),
        );
      }
      return 0;
    }
    if (command === 'rotate') {
      const batchSize = positiveInt(values['batch-size'], 100);
      const concurrency = positiveInt(values.concurrency, 8);
      if (batchSize === undefined || concurrency === undefined) {
        console.error(USAGE);
        return 2;
      }
      const output = progressOutput();
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      const summary = await rotateToActiveKek({
        prisma,
        vault,
        batchSize,
        concurrency,
        onProgress: output.update,
        signal: stop.signal,
      }).finally(output.stop);
      console.log(`active KEK: ${summary.activeKekId}`);
      for (const [from, n] of Object.entries(summary.fromKeks)) console.log(`re-wrapped ${n} from ${from}`);
      console.log(
        `re-wrapped ${summary.rewrapped} of ${summary.total}, changed meanwhile ${summary.changedMeanwhile}, failed ${summary.failed}, in ${(summary.durationMs / 1000).toFixed(1)} s`,
      );
      for (const f of summary.failures)
        console.error(`FAILED ${f.purpose} of ${f.serial} (certificate ${f.certificateId}): ${f.message}`);
      if (stop.signal.aborted) console.error('interrupted: run "claimline-vault rotate" again to finish');
      return summary.failed > 0 || stop.signal.aborted ? 1 : 0;
    }
    if (!arg) {
      console.error(USAGE);
      return 2;
    }
    const result = await retireKek({ prisma, vault, config, kekId: arg });
    switch (result.outcome) {
      case 'refused':
        console.error(`refused to retire ${result.kekId} (${result.reason}): ${result.detail}`);
        return 1;
      case 'removed-from-file':
        console.log(`no secret uses ${result.kekId}; removed it from ${result.path}`);
        return 0;
      case 'unused':
        console.log(`no secret uses ${result.kekId}; now ${result.instruction}`);
        return 0;
    }
  } finally {
    await prisma.$disconnect();
  }
}

function positiveInt(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
