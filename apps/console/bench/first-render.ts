import { chromium, type Browser } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { median, type BenchResult } from '@claimline/test-kit';
// The API in this process, on its own database clone and queue prefix, exactly as its tests start it.
import { startTestApi, type TestApi } from '../../api/test/helpers.js';

/**
 * The batch page's first render in Chromium (Debian's /usr/bin/chromium, playwright-core): from the
 * navigation start of a fresh visit (new browser context: empty cache, signed-in cookie) until the page
 * shows everything — progress, units per state, the throughput chart, failures by code, orphans. A
 * 10,000-unit batch (rows seeded directly in Postgres, not provisioned) against a 10-unit one, same run.
 * Run: pnpm bench --only console   (needs the tests' Postgres and Redis, and a built apps/console)
 */
const UNITS = Number(process.env.BENCH_CONSOLE_UNITS ?? 10_000);
const RUNS = 7;
const TARGET_MS = 1_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const json = process.argv.includes('--json');
const log = (text: string) => process.stderr.write(`${text}\n`);

/** Bench set-up only: a batch as a run leaves it (REGISTERED, some FAILED by code, some QUEUED, orphans). */
async function seedBatch(api: TestApi, ref: string, units: number): Promise<string> {
  const batch = await api.db.prisma.batch.create({
    data: {
      externalRef: ref,
      templateName: 'claimline-default',
      createdAt: new Date(Date.now() - 3_600_000),
    },
  });
  await api.db.query(
    `INSERT INTO device (id, serial, batch_id, state, registered_at, failed_at, last_error_code,
                         last_error_retryable, attempts, queued_at, updated_at)
     SELECT gen_random_uuid(), $2 || lpad(i::text, 6, '0'), $1::uuid, s.state::"DeviceState",
            CASE WHEN s.state = 'REGISTERED' THEN now() - (i % 3600) * interval '1 second' END,
            CASE WHEN s.state = 'FAILED' THEN now() - (i % 3600) * interval '1 second' END,
            CASE WHEN s.state = 'FAILED' THEN (ARRAY['ThrottlingException', 'InvalidRequestException',
                 'AccessDeniedException'])[1 + i % 3] END,
            CASE WHEN s.state = 'FAILED' THEN i % 3 = 0 END, 1, now() - interval '1 hour', now()
       FROM generate_series(1, $3::int) i,
            LATERAL (SELECT CASE WHEN i % 50 = 0 THEN 'QUEUED' WHEN i % 10 = 1 THEN 'FAILED'
                                 ELSE 'REGISTERED' END AS state) s`,
    [batch.id, `${ref}-`, units],
  );
  await api.db.query(
    `INSERT INTO certificate (id, certificate_id, device_id, certificate_pem, status, orphaned_at)
     SELECT gen_random_uuid(), md5(d.serial) || md5(d.id::text), d.id, 'pem', 'ORPHANED', now()
       FROM device d WHERE d.batch_id = $1::uuid AND d.state = 'FAILED' AND d.serial LIKE '%01'`,
    [batch.id],
  );
  return batch.id;
}

/** One fresh visit: milliseconds from navigation start until every section of the batch page is there. */
async function firstRender(browser: Browser, base: string, key: string, batchId: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const signIn = await context.request.post(`${base}/console/session`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    if (signIn.status() !== 201) throw new Error(`sign-in answered ${signIn.status()}`);
    await context.addInitScript(() => localStorage.setItem('claimline.signedIn', '1'));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (msg) => void (msg.type() === 'error' && errors.push(msg.text())));
    await page.goto(`${base}/console/#/batches/${batchId}`);
    const done = await page.waitForFunction(
      () => {
        const shell = document.querySelector('claimline-console')?.shadowRoot;
        const root = shell?.querySelector('cl-batch-page')?.shadowRoot;
        if (!root || root.textContent?.includes('Loading…')) return false;
        const ready =
          root.querySelector('[role=progressbar]') &&
          root.querySelector('svg[role=img]') &&
          /Orphaned certificates \(\d+\)/.test(root.textContent ?? '') &&
          /\d+ of \d+ done/.test(root.textContent ?? '');
        return ready ? performance.now() : false;
      },
      undefined,
      { timeout: 30_000 },
    );
    if (errors.length > 0) throw new Error(`console errors: ${errors.join('; ')}`);
    return (await done.jsonValue()) as number;
  } finally {
    await context.close();
  }
}

async function measure(browser: Browser, base: string, key: string, batchId: string): Promise<number[]> {
  await firstRender(browser, base, key, batchId); // Chromium's own first start-up, not the page's
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await firstRender(browser, base, key, batchId));
  return samples.sort((a, b) => a - b);
}

async function main() {
  const api = await startTestApi({ API_MAX_EVENT_STREAMS_PER_KEY: '100', API_READ_AUDIT: 'batched' });
  const server = api.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const small = await seedBatch(api, 'WO-BENCH-10', 10);
    const large = await seedBatch(api, 'WO-BENCH-10K', UNITS);
    log(`seeded ${UNITS} + 10 units; ${RUNS} fresh visits each`);
    const smallMs = await measure(browser, base, api.keys.viewer, small);
    const largeMs = await measure(browser, base, api.keys.viewer, large);
    const round = (ms: number) => Math.round(ms);
    log(`batch page, 10 units:  ${smallMs.map(round).join(', ')} ms`);
    log(`batch page, ${UNITS} units: ${largeMs.map(round).join(', ')} ms`);
    const baseline = { name: 'batch page first render, 10 units (median)', value: round(median(smallMs)) };
    const results: BenchResult[] = [
      {
        name: `batch page first render, ${UNITS} units (median of ${RUNS})`,
        value: round(median(largeMs)),
        unit: 'ms',
        baseline,
        ratio: Number((median(largeMs) / median(smallMs)).toFixed(2)),
        target: `≤ ${TARGET_MS} ms`,
        pass: median(largeMs) <= TARGET_MS,
      },
      {
        name: `batch page first render, ${UNITS} units (slowest of ${RUNS})`,
        value: round(largeMs[largeMs.length - 1]!),
        unit: 'ms',
        baseline: null,
        ratio: null,
        target: `≤ ${TARGET_MS} ms`,
        pass: largeMs[largeMs.length - 1]! <= TARGET_MS,
      },
    ];
    if (json) console.log(JSON.stringify({ bench: '@claimline/console', results }));
  } finally {
    await browser.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await api.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
