import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '@claimline/logger';
import { EMULATED_REGION } from '../aws-arns.js';
import { certificateRoutes } from './certificates.js';
import type { AccessKey } from './credentials.js';
import type { ControlPlaneDeps } from './deps.js';
import type { Route } from './inputs.js';
import type { OperationSamples } from '../limits/operation-samples.js';
import { IotError, sendIotError } from './iot-error.js';
import { policyRoutes } from './policies.js';
import { verifySigV4 } from './sigv4.js';
import { templateRoutes } from './templates.js';
import { thingRoutes } from './things.js';

export type ControlPlaneOptions = {
  host: string;
  port: number;
  /** The TLS server certificate followed by its intermediate, and its key: what the MQTT endpoint serves. */
  certChainPem: string;
  keyPem: string;
  accessKey: AccessKey;
  deps: ControlPlaneDeps;
  logger: Logger;
  /** Told when each request of an operation arrived (before its signature is checked). */
  arrivals?: OperationSamples;
};

export type RunningControlPlane = { port: number; close(): Promise<void> };

const bodyOf = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

/**
 * The subset of AWS IoT's REST control plane (restJson1) that provisioning needs, over HTTPS: every
 * request must carry a SigV4 signature made with the emulator's access key, as AWS requires.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<RunningControlPlane> {
  const { deps, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((_req, res, next) => {
    res.locals.arrivedAt = Date.now();
    res.set('x-amzn-RequestId', randomUUID());
    next();
  });
  app.use(express.raw({ type: () => true, limit: '1mb' }));
  app.use((req, res, next) => {
    const request = { method: req.method, url: req.originalUrl, headers: req.headers, body: bodyOf(req) };
    verifySigV4(request, options.accessKey, EMULATED_REGION).then(
      () => next(),
      (error: unknown) => respondWithError(res, error, logger),
    );
  });
  const routes: Route[] = [
    ...certificateRoutes(deps),
    ...thingRoutes(deps),
    ...policyRoutes(deps),
    ...templateRoutes(deps),
  ];
  for (const route of routes) {
    app[route.method](route.path, (req: Request<Record<string, string>>, res: Response) => {
      options.arrivals?.record(route.operation, res.locals.arrivedAt as number);
      try {
        if (deps.throttled?.(route.operation))
          throw new IotError('ThrottlingException', `Rate exceeded for ${route.operation}`);
        const output = route.handle({
          params: req.params,
          query: new URL(req.originalUrl, 'http://placeholder').searchParams,
          headers: req.headers,
          body: bodyOf(req),
        });
        logger.debug({ operation: route.operation }, 'control plane call');
        res.status(200).json(output);
      } catch (error) {
        respondWithError(res, error, logger, route.operation);
      }
    });
  }
  app.use((req: Request, res: Response) =>
    sendIotError(
      res,
      new IotError('UnknownOperationException', `No operation is served at ${req.method} ${req.path}`),
    ),
  );
  // Express 5 error handler (four arguments): a bad path encoding or an oversized body.
  app.use((error: { status?: number }, _req: Request, res: Response, _next: NextFunction) =>
    respondWithError(res, error, logger),
  );

  const server: Server = createServer({ cert: options.certChainPem, key: options.keyPem }, app);
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function respondWithError(res: Response, error: unknown, logger: Logger, operation?: string): void {
  if (error instanceof IotError) {
    logger.debug({ operation, type: error.type }, 'control plane refusal');
    return sendIotError(res, error);
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return sendIotError(res, new IotError('InvalidRequestException', (error as Error).message));
  logger.error({ err: error, operation }, 'control plane failure');
  sendIotError(res, new IotError('InternalFailureException', 'An unexpected error has occurred.'));
}
