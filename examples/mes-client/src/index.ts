import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/schema';

/**
 * What an MES needs from claimline, typed from /openapi.json: `src/generated/schema.d.ts` is the
 * output of `openapi-typescript` (regenerate with `pnpm --filter @claimline/mes-client-example
 * generate:client` against a running API); openapi-fetch turns it into calls checked by the compiler.
 */

export type MesClient = Client<paths>;
export type CreateBatchRequest = components['schemas']['CreateBatchRequest'];
export type Problem = components['schemas']['Problem'];

export function createMesClient(baseUrl: string, apiKey: string): MesClient {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
}

export class MesError extends Error {
  constructor(
    readonly step: string,
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(`${step}: HTTP ${status}${problem ? ` ${problem.code}: ${problem.detail}` : ''}`);
  }
}

export type MesRunResult = {
  batchId: string;
  finished: { total: number; counts: Record<string, number> };
  report: { serial: string; state: string }[];
};

/**
 * The MES flow: create the batch (idempotent on `idempotencyKey`), wait until nothing is in flight,
 * fetch the per-device report. `pollMs` and `timeoutMs` bound the wait.
 */
export async function runBatch(
  client: MesClient,
  request: CreateBatchRequest,
  options: { idempotencyKey: string; pollMs?: number; timeoutMs?: number },
): Promise<MesRunResult> {
  const created = await client.POST('/v1/batches', {
    body: request,
    params: { header: { 'idempotency-key': options.idempotencyKey } },
  });
  if (!created.data) throw new MesError('createBatch', created.response.status, created.error as Problem);
  const batchId = created.data.id;

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const batch = await client.GET('/v1/batches/{id}', { params: { path: { id: batchId } } });
    if (!batch.data) throw new MesError('getBatch', batch.response.status, batch.error as Problem);
    if (batch.data.finishedAt) {
      const report = await client.GET('/v1/batches/{id}/report', {
        params: { path: { id: batchId }, query: { format: 'json' } },
      });
      if (!report.data) throw new MesError('getBatchReport', report.response.status, report.error as Problem);
      return {
        batchId,
        finished: { total: batch.data.progress.total, counts: batch.data.progress.counts },
        report: report.data.devices.map((d) => ({ serial: String(d.serial), state: String(d.state) })),
      };
    }
    if (Date.now() > deadline) throw new MesError('waitForBatch', 408, undefined);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
  }
}
