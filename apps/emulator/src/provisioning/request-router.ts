import { setTimeout as sleep } from 'node:timers/promises';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import type { Logger } from '@claimline/logger';
import type { FaultInjector } from '../limits/faults.js';
import type { OperationSamples } from '../limits/operation-samples.js';
import type { QuotaLimiter } from '../limits/quotas.js';
import type { MqttSession } from '../mqtt/mqtt-session.js';
import type { Operation } from '../options.js';
import type { RegistryStore } from '../registry/registry-store.js';
import { ProvisioningError, type Rejection } from './provisioning-error.js';
import type { ProvisioningService } from './provisioning-service.js';

type Format = 'json' | 'cbor';
type Route = { operation: Operation; format: Format; templateName?: string };

const ROUTES: [RegExp, (m: RegExpMatchArray) => Route][] = [
  [
    /^\$aws\/certificates\/create\/(json|cbor)$/,
    (m) => ({ operation: 'CreateKeysAndCertificate', format: m[1] as Format }),
  ],
  [
    /^\$aws\/certificates\/create-from-csr\/(json|cbor)$/,
    (m) => ({ operation: 'CreateCertificateFromCsr', format: m[1] as Format }),
  ],
  [
    /^\$aws\/provisioning-templates\/([^/]+)\/provision\/(json|cbor)$/,
    (m) => ({ operation: 'RegisterThing', templateName: m[1], format: m[2] as Format }),
  ],
];

export function routeOf(topic: string): Route | undefined {
  for (const [pattern, build] of ROUTES) {
    const match = topic.match(pattern);
    if (match) return build(match);
  }
  return undefined;
}

function decodePayload(format: Format, payload: Buffer): unknown {
  if (payload.length === 0) return undefined;
  try {
    return format === 'json' ? JSON.parse(payload.toString('utf8')) : cborDecode(payload);
  } catch {
    throw new ProvisioningError('InvalidPayload', `payload is not valid ${format.toUpperCase()}`);
  }
}

const encodePayload = (format: Format, body: unknown): Buffer =>
  format === 'json' ? Buffer.from(JSON.stringify(body)) : Buffer.from(cborEncode(body));

export type RouterDeps = {
  service: ProvisioningService;
  store: RegistryStore;
  quotas: QuotaLimiter;
  faults: FaultInjector;
  claimCertificateId: string;
  logger: Logger;
  /** Each answered request's time from arrival to answer (a dropped answer is not counted). */
  timings?: OperationSamples;
};

/**
 * Topic router for `$aws/` requests: decodes, counts, applies quotas and injected faults, runs the
 * operation and answers on `<request>/accepted` or `/rejected` to the requesting connection only.
 */
export function createRequestRouter(deps: RouterDeps) {
  const run = (route: Route, request: unknown, session: MqttSession) => {
    switch (route.operation) {
      case 'CreateKeysAndCertificate':
        return deps.service.createKeysAndCertificate(request);
      case 'CreateCertificateFromCsr':
        return deps.service.createCertificateFromCsr(request);
      case 'RegisterThing':
        return deps.service.registerThing(route.templateName ?? '', request, {
          clientId: session.clientId,
          claimCertificateId: deps.claimCertificateId,
        });
    }
  };

  const handle = async (session: MqttSession, topic: string, payload: Buffer): Promise<void> => {
    const route = routeOf(topic);
    if (!route) return;
    const arrived = performance.now();
    deps.store.count(route.operation);
    const fault = deps.faults.decide(route.operation);
    if (fault.disconnect) return session.close(`injected disconnect after ${route.operation}`);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    let accepted: unknown;
    let rejection: Rejection | undefined;
    try {
      if (!deps.quotas.allowOperation(route.operation) || fault.throttle) {
        throw new ProvisioningError('ThrottlingException', `Rate exceeded for ${route.operation}`);
      }
      if (fault.error) throw new ProvisioningError('InternalFailure', 'injected internal failure');
      accepted = await run(route, decodePayload(route.format, payload), session);
    } catch (error) {
      if (!(error instanceof ProvisioningError))
        deps.logger.error({ err: error, operation: route.operation }, 'provisioning request failed');
      rejection =
        error instanceof ProvisioningError
          ? error.toRejection()
          : new ProvisioningError('InternalFailure', 'internal failure').toRejection();
    }
    if (fault.drop) return;
    const outcome = rejection ? 'rejected' : 'accepted';
    // As at AWS, an answer reaches the requester only through a subscription it holds at that moment.
    const delivered = session.deliver(
      `${topic}/${outcome}`,
      encodePayload(route.format, rejection ?? accepted),
    );
    deps.timings?.record(route.operation, performance.now() - arrived);
    deps.logger.debug(
      {
        clientId: session.clientId,
        operation: route.operation,
        outcome,
        errorCode: rejection?.errorCode,
        delivered,
      },
      'provisioning request',
    );
  };

  return (session: MqttSession, topic: string, payload: Buffer): void => {
    handle(session, topic, payload).catch((error: unknown) =>
      deps.logger.error({ err: error }, 'request router failed'),
    );
  };
}
