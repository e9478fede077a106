import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './system';

/** Chromium for the console tests (Debian's, driven by playwright-core), with console errors collected per page. */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const TABLET = { width: 800, height: 1280 };
export const DESKTOP = { width: 1280, height: 800 };

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(path.join(repoRoot, 'apps/console/dist/index.html')))
    throw new Error('apps/console is not built: pnpm exec turbo run build');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export type ConsolePage = { page: Page; errors: string[] };

export async function openPage(browser: Browser, viewport = DESKTOP): Promise<ConsolePage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  return { page, errors };
}

/** Signs in by keyboard only: type the key, Enter. */
export async function signIn(page: Page, apiUrl: string, key: string): Promise<void> {
  await page.goto(`${apiUrl}/console/`);
  await page.getByLabel(/API key/).fill(key);
  await page.keyboard.press('Enter');
  await page.getByText(/Signed in as/).waitFor();
}

/** Presses Tab until `name` has the focus (at most `max` times), then Enter: the page works by keyboard. */
export async function tabTo(page: Page, name: RegExp, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      let el: Element | null = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el?.textContent?.trim() ?? '';
    });
    if (name.test(focused)) return page.keyboard.press('Enter');
  }
  throw new Error(`no focusable element named ${name} within ${max} tabs`);
}

/**
 * A pre-provisioning hook (a Lambda in AWS) that denies the serials in `denied` (403
 * AccessDeniedException from the emulator, a permanent failure), and emulator templates that call it.
 */
export type DenyHook = { denied: Set<string>; templatesDir: string; close(): Promise<void> };

export async function startDenyHook(): Promise<DenyHook> {
  const denied = new Set<string>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const serial = (JSON.parse(body) as { parameters: Record<string, string> }).parameters.SerialNumber;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ allowProvisioning: !denied.has(serial ?? '') }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const templatesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-console-templates-'));
  const bundled = path.join(repoRoot, 'apps/emulator/templates/claimline-default.json');
  const template = JSON.parse(fs.readFileSync(bundled, 'utf8')) as Record<string, unknown>;
  template.PreProvisioningHook = { TargetArn: `http://127.0.0.1:${port}/hook`, PayloadVersion: '2020-04-01' };
  fs.writeFileSync(path.join(templatesDir, 'claimline-default.json'), JSON.stringify(template));
  return {
    denied,
    templatesDir,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(templatesDir, { recursive: true, force: true });
    },
  };
}
