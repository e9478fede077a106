import { once } from 'node:events';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { faultsSchema, quotasSchema } from '../limits/limit-schemas.js';
import type { Faults, Quotas } from '../options.js';
import type { OperationSamples } from '../limits/operation-samples.js';
import type { RegistryStore } from '../registry/registry-store.js';
import { adminGuard, checkAdminAccess, type AdminAccess } from './admin-guard.js';

export type AdminControls = {
  store: RegistryStore;
  timings: OperationSamples;
  arrivals: OperationSamples;
  getFaults(): Faults;
  setFaults(faults: Partial<Faults>): void;
  getQuotas(): Quotas;
  setQuotas(quotas: Partial<Quotas> | 'off'): void;
  revoke(certificateId: string): boolean;
};

/**
 * The admin API: read the registry and counters, change faults and quotas, revoke a certificate.
 * Guarded by `adminGuard` (bearer token, JSON-only POST); state changes only on POST.
 */
export async function startAdminHttp(
  access: AdminAccess,
  controls: AdminControls,
): Promise<{ port: number; server: Server }> {
  checkAdminAccess(access);
  const { store } = controls;
  const app = express();
  app.use(adminGuard(access.token));
  app.use(express.json({ strict: false }));
  const notFound = (res: Response, what: string) => res.status(404).json({ error: `${what} not found` });

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/things', (_req, res) => void res.json([...store.things.values()]));
  app.get('/things/:name', (req: Request<{ name: string }>, res) => {
    const thing = store.things.get(req.params.name);
    return thing ? void res.json(thing) : void notFound(res, 'thing');
  });
  app.get('/certificates', (_req, res) => void res.json([...store.certificates.values()]));
  app.get('/certificates/:id', (req: Request<{ id: string }>, res) => {
    const cert = store.certificates.get(req.params.id);
    return cert ? void res.json(cert) : void notFound(res, 'certificate');
  });
  app.post('/certificates/:id/revoke', (req: Request<{ id: string }>, res) => {
    if (!controls.revoke(req.params.id)) return void notFound(res, 'certificate');
    res.json(store.certificates.get(req.params.id));
  });
  app.get('/counters', (_req, res) => void res.json(store.counters()));
  app.get('/timings', (_req, res) => void res.json(controls.timings.snapshot()));
  app.get('/arrivals', (_req, res) => void res.json(controls.arrivals.snapshot()));
  app.get('/faults', (_req, res) => void res.json(controls.getFaults()));
  app.post('/faults', (req, res) => {
    const parsed = faultsSchema.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: z.prettifyError(parsed.error) });
    controls.setFaults(parsed.data as Partial<Faults>);
    res.json(controls.getFaults());
  });
  app.get('/quotas', (_req, res) => void res.json(controls.getQuotas()));
  app.post('/quotas', (req, res) => {
    const parsed = quotasSchema.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: z.prettifyError(parsed.error) });
    controls.setQuotas(parsed.data);
    res.json(controls.getQuotas());
  });
  app.use((_req: Request, res: Response) => void res.status(404).json({ error: 'no such route' }));
  // Express 5 error handler (four arguments): a malformed JSON body answers JSON, not an HTML page.
  app.use(
    (error: { status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(error.status ?? 500).json({ error: error.message ?? 'error' });
    },
  );

  const server = app.listen(access.port, access.host);
  await once(server, 'listening');
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : access.port, server };
}
