import http from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';

export type ReadinessCheck = { name: string; check: () => Promise<void> };

/** /healthz (the process answers), /readyz (its dependencies answer), /metrics (Prometheus). */
export function startOpsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  readiness: ReadinessCheck[];
}): Promise<http.Server> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      options.readiness.map(async ({ name, check }) => {
        try {
          await check();
          return { name, ok: true };
        } catch (error) {
          return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(options.registry.contentType).send(await options.registry.metrics());
  });
  const server = http.createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
