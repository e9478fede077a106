import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { call, repoRoot, startSystem, waitFor, type System } from './support/system';

/**
 * The console in Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against the API
 * process: sign in, watch a batch go from 0 % to 100 % without reloading while a worker provisions it,
 * search a unit, a VIEWER's refused retry; no console error on any page. Screenshots go to docs/console/.
 */

jest.setTimeout(240_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = path.join(repoRoot, 'docs/console');
let system: System;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(path.join(repoRoot, 'apps/console/dist/index.html')))
    throw new Error('apps/console is not built: pnpm exec turbo run build');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  system = await startSystem({
    label: 'console',
    workers: 0,
    emulator: { keyAlgorithm: 'ec-p256', quotas: 'off' },
    workerEnv: {
      WORKER_RATE_LIMIT_PER_SECOND: '8',
      WORKER_QUOTA_CREATE_KEYS_PER_SECOND: '0',
      WORKER_QUOTA_CREATE_FROM_CSR_PER_SECOND: '0',
      WORKER_QUOTA_REGISTER_THING_PER_SECOND: '0',
    },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await system?.close();
});

async function openPage(width = 1280, height = 800): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return page;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${system.apiUrl}/console/`);
  await page.getByLabel(/API key/).fill(key);
  await page.keyboard.press('Enter');
  await page.getByText(/Signed in as/).waitFor();
}

it('signs in, shows a batch going from 0 % to 100 % live, finds a unit; a VIEWER cannot retry', async () => {
  const [adminKey, mesKey, viewerKey] = await Promise.all([
    system.createKey('console-admin', 'ADMIN'),
    system.createKey('console-mes', 'MES'),
    system.createKey('console-viewer', 'VIEWER'),
  ]);
  const runId = Date.now().toString(36).toUpperCase();
  const serials = Array.from({ length: 30 }, (_, i) => `CON-${runId}-${String(i).padStart(3, '0')}`);
  const created = await call<{ id: string }>('POST', `${system.apiUrl}/v1/batches`, 202, {
    key: mesKey,
    body: {
      externalRef: `WO-CON-${runId}`,
      templateName: 'claimline-default',
      payloadFormat: 'json',
      mode: 'create-keys',
      devices: serials.map((serial) => ({ serial })),
    },
  });

  const page = await openPage();
  await signIn(page, adminKey);
  const row = page.getByRole('row', { name: new RegExp(`WO-CON-${runId}`) });
  const bar = row.getByRole('progressbar');
  await waitFor('the batch at 0 %', async () => (await bar.getAttribute('aria-valuenow')) === '0', {
    timeoutMs: 20_000,
  });
  await page.screenshot({ path: path.join(shots, 'batches.png') });

  system.startWorker();
  const seen = new Set<string>();
  await waitFor(
    'the batch at 100 % in the page, without a reload',
    async () => {
      const value = await bar.getAttribute('aria-valuenow');
      if (value) seen.add(value);
      return value === '100';
    },
    { timeoutMs: 120_000, intervalMs: 200, detail: () => system.diagnostics() },
  );
  expect(seen.has('0')).toBe(true);

  await row.getByRole('link').click();
  await page.getByText(`30 of 30 done`).waitFor();
  await page.screenshot({ path: path.join(shots, 'batch.png') });
  expect(await page.getByRole('link', { name: /Download the report/ }).getAttribute('href')).toBe(
    `/v1/batches/${created.id}/report?format=csv`,
  );

  await page.getByRole('link', { name: 'Units' }).click();
  await page.getByLabel('Serial').fill(serials[3]!);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `${serials[3]}: REGISTERED` }).waitFor();
  await page.screenshot({ path: path.join(shots, 'unit.png') });

  // A VIEWER signed in on a 10-inch tablet: reads work, mutations are refused by the API.
  const tablet = await openPage(800, 1280);
  await signIn(tablet, viewerKey);
  await tablet.getByText(`WO-CON-${runId}`).waitFor();
  const refused = await tablet.evaluate(async (id) => {
    const session = (await (await fetch('/console/session')).json()) as { csrfToken: string };
    const res = await fetch(`/v1/batches/${id}/retry`, {
      method: 'POST',
      headers: { 'X-CSRF-Token': session.csrfToken },
    });
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  }, created.id);
  expect(refused).toEqual({ status: 403, code: 'FORBIDDEN' });

  // Sign-out ends the session; the page asks to sign in again.
  await tablet.getByRole('button', { name: 'Sign out' }).click();
  await tablet.getByLabel(/API key/).waitFor();

  expect(consoleErrors.filter((e) => !/403 \(Forbidden\)/.test(e))).toEqual([]);
});
