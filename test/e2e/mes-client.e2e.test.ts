import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createMesClient, runBatch } from '../../examples/mes-client/src/index';
import { repoRoot, startSystem, type System } from './support/system';

/**
 * The MES contract from the MES's side: the typed client in examples/mes-client (generated from
 * /openapi.json with openapi-typescript, called with openapi-fetch) runs create batch → wait → report
 * against the API process, provisioned by a worker through the emulator. The committed generated types
 * must be what openapi-typescript makes of the document the API serves now.
 */

jest.setTimeout(180_000);

const example = path.join(repoRoot, 'examples/mes-client');
let system: System;

beforeAll(async () => {
  system = await startSystem({
    label: 'mes-client',
    workers: 1,
    emulator: { keyAlgorithm: 'ec-p256', quotas: 'off' },
    workerEnv: {
      WORKER_RATE_LIMIT_PER_SECOND: '1000',
      WORKER_QUOTA_CREATE_KEYS_PER_SECOND: '0',
      WORKER_QUOTA_CREATE_FROM_CSR_PER_SECOND: '0',
      WORKER_QUOTA_REGISTER_THING_PER_SECOND: '0',
    },
  });
});

afterAll(async () => {
  await system?.close();
});

it('the committed generated types match the served /openapi.json', () => {
  const out = path.join(system.dir, 'schema.d.ts');
  const run = spawnSync(
    path.join(example, 'node_modules/.bin/openapi-typescript'),
    [`${system.apiUrl}/openapi.json`, '-o', out],
    { encoding: 'utf8' },
  );
  expect(run.stderr).not.toMatch(/error/i);
  expect(fs.readFileSync(out, 'utf8')).toBe(
    fs.readFileSync(path.join(example, 'src/generated/schema.d.ts'), 'utf8'),
  );
});

it('creates a batch, waits for it and fetches its report with the generated client', async () => {
  const client = createMesClient(system.apiUrl, await system.createKey('mes-client', 'MES'));
  const runId = Date.now().toString(36).toUpperCase();
  const serials = Array.from({ length: 12 }, (_, i) => `MES-${runId}-${String(i).padStart(3, '0')}`);
  const request = {
    externalRef: `WO-MES-${runId}`,
    templateName: 'claimline-default',
    payloadFormat: 'json' as const,
    mode: 'create-keys' as const,
    devices: serials.map((serial) => ({ serial })),
  };

  const result = await runBatch(client, request, { idempotencyKey: `wo-${runId}`, pollMs: 500 });

  expect(result.finished.total).toBe(12);
  expect(result.finished.counts.REGISTERED).toBe(12);
  expect(result.report.map((d) => d.serial).sort()).toEqual(serials);
  expect(new Set(result.report.map((d) => d.state))).toEqual(new Set(['REGISTERED']));

  // The same Idempotency-Key replays the first answer: the same batch, nothing created twice.
  const replay = await client.POST('/v1/batches', {
    body: request,
    params: { header: { 'idempotency-key': `wo-${runId}` } },
  });
  expect(replay.data?.id).toBe(result.batchId);

  // A refusal arrives as a typed problem document.
  const unknown = await client.GET('/v1/batches/{id}', {
    params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
  });
  expect(unknown.response.status).toBe(404);
  expect(unknown.error?.code).toBe('BATCH_NOT_FOUND');
});
