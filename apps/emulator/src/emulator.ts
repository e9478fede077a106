import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@claimline/logger';
import { loadTemplates } from '@claimline/provisioning-template';
import { checkAdminAccess } from './admin/admin-guard.js';
import { startAdminHttp } from './admin/admin-http.js';
import { EMULATED_REGION } from './aws-arns.js';
import {
  writeClientFiles,
  writeControlPlane,
  writeEndpoint,
  writeTemplates,
  type ClientFiles,
} from './client-files.js';
import { changeCertificateStatus } from './control-plane/certificates.js';
import { startControlPlane } from './control-plane/control-plane-http.js';
import { loadOrCreateAccessKey } from './control-plane/credentials.js';
import { FaultInjector } from './limits/faults.js';
import { QuotaLimiter } from './limits/quotas.js';
import { Broker } from './mqtt/broker.js';
import { startTlsServer } from './mqtt/tls-server.js';
import { DEFAULT_SERVER_NAMES, type EmulatorOptions, type Faults, type Quotas } from './options.js';
import { EmulatorPki } from './pki/emulator-pki.js';
import { KeyPool } from './pki/key-pool.js';
import { ensureDefaultDevicePolicy, loadClaimPolicy } from './policy/bundled-policies.js';
import { PolicyAuthorizer } from './policy/policy-authorizer.js';
import { ProvisioningService } from './provisioning/provisioning-service.js';
import { createRequestRouter } from './provisioning/request-router.js';
import { operationArrivals, operationTimings } from './limits/operation-samples.js';
import { OwnershipTokens } from './registry/ownership-tokens.js';
import { RegistryStore } from './registry/registry-store.js';
import type { CertificateRecord, CounterSecond, Thing } from './registry/types.js';

export type RunningEmulator = {
  host: string;
  port: number;
  adminUrl: string;
  /** The AWS IoT control plane: `https://<host>:<port>`, SigV4 with the key in `files.controlPlanePath`. */
  controlPlaneUrl: string;
  files: ClientFiles;
  registry: {
    things(): Thing[];
    certificates(): CertificateRecord[];
    counters(): CounterSecond[];
    /** Arrival-to-answer time of each fleet-provisioning request, ms, per operation. */
    timings(): Record<string, number[]>;
    /** Arrival time (epoch ms) of each control-plane request, per operation. */
    arrivals(): Record<string, number[]>;
  };
  setFaults(f: Partial<Faults>): void;
  setQuotas(q: Partial<Quotas> | 'off'): void;
  /** Test fault: the next `count` calls of each named control-plane operation answer 429 ThrottlingException. */
  throttleControlPlane(counts: Record<string, number>): void;
  stop(): Promise<void>;
};

/** Where a local client reaches a server bound to `host` (a wildcard address means this machine). */
const urlHost = (host: string) =>
  host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

/** Starts the MQTT/TLS endpoint and the admin API; everything persistent lives in `options.stateDir`. */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const adminAccess = {
    host: options.adminHost ?? '127.0.0.1',
    port: options.adminPort ?? 8884,
    token: options.adminToken,
  };
  checkAdminAccess(adminAccess); // before anything listens, so a refused start leaves nothing open
  const logger = options.logger ?? createLogger({ name: 'emulator', level: 'warn' });
  const templates = await loadTemplates(options.templatesDir, options.templates);
  const templatesLoadedAt = new Date();
  await mkdir(options.stateDir, { recursive: true });
  const pki = await EmulatorPki.open(join(options.stateDir, 'pki'));
  const serverCredentials = await pki.serverCredentials(options.serverNames ?? DEFAULT_SERVER_NAMES);
  const { files, claimCertificateId } = await writeClientFiles(options.stateDir, pki);
  await writeTemplates(files, templates);
  const store = await RegistryStore.open(join(options.stateDir, 'registry.json'));
  await ensureDefaultDevicePolicy(store);
  const authorizer = new PolicyAuthorizer(store, await loadClaimPolicy(options.claimPolicyFile), logger);
  const tokens = new OwnershipTokens(store, options.tokenTtlSeconds ?? 3600, options.clock);
  tokens.sweep();
  const keys = new KeyPool(options.keyAlgorithm ?? 'rsa-2048', options.keyPoolSize ?? 4);
  const quotas = new QuotaLimiter(options.quotas);
  const faults = new FaultInjector(options.faults);
  const service = new ProvisioningService({
    ca: pki,
    keys,
    store,
    tokens,
    templates,
    hookTimeoutMs: options.hookTimeoutMs ?? 5000,
    logger,
  });
  const timings = operationTimings();
  const arrivals = operationArrivals();
  const router = createRequestRouter({
    service,
    store,
    quotas,
    faults,
    claimCertificateId,
    logger,
    timings,
  });
  const broker = new Broker(store, quotas, router, authorizer, logger);

  const mqttServer = await startTlsServer({
    host,
    port: options.port ?? 8883,
    clientCaPems: [pki.deviceCa.pem, pki.root.pem],
    certChainPem: serverCredentials.chainPem,
    keyPem: serverCredentials.keyPem,
    claimCertificateId,
    broker,
    logger,
  });
  await writeEndpoint(files, { host, port: mqttServer.port });
  const throttles = new Map<string, number>();
  const controlDeps = {
    throttled: (operation: string) => {
      const left = throttles.get(operation) ?? 0;
      if (left > 0) throttles.set(operation, left - 1);
      return left > 0;
    },
    store,
    templates,
    templatesLoadedAt,
    mqttEndpoint: () => ({ host, port: mqttServer.port }),
    disconnectCertificate: (certificateId: string) => broker.disconnectCertificate(certificateId),
  };
  const admin = await startAdminHttp(adminAccess, {
    store,
    timings,
    arrivals,
    getFaults: () => faults.faults,
    setFaults: (f) => faults.set(f),
    getQuotas: () => quotas.quotas,
    setQuotas: (q) => quotas.set(q),
    revoke: (certificateId) => changeCertificateStatus(controlDeps, certificateId, 'REVOKED'),
  });
  const accessKey = await loadOrCreateAccessKey(join(options.stateDir, 'control-plane', 'access-key.json'));
  const controlPlane = await startControlPlane({
    host,
    port: options.controlPort ?? 8885,
    certChainPem: serverCredentials.chainPem,
    keyPem: serverCredentials.keyPem,
    accessKey,
    deps: controlDeps,
    logger,
    arrivals,
  });
  const controlPlaneUrl = `https://${host}:${controlPlane.port}`;
  await writeControlPlane(files, { endpoint: controlPlaneUrl, region: EMULATED_REGION, ...accessKey });
  logger.info(
    {
      port: mqttServer.port,
      adminPort: admin.port,
      controlPort: controlPlane.port,
      templates: [...templates.keys()],
    },
    'emulator started',
  );

  let stopping: Promise<void> | undefined;
  return {
    host,
    port: mqttServer.port,
    adminUrl: `http://${urlHost(adminAccess.host)}:${admin.port}`,
    controlPlaneUrl,
    files,
    registry: {
      things: () => structuredClone([...store.things.values()]),
      certificates: () => structuredClone([...store.certificates.values()]),
      counters: () => store.counters(),
      timings: () => timings.snapshot(),
      arrivals: () => arrivals.snapshot(),
    },
    setFaults: (f) => faults.set(f),
    setQuotas: (q) => quotas.set(q),
    throttleControlPlane: (counts) => Object.entries(counts).forEach(([op, n]) => throttles.set(op, n)),
    stop: () => {
      stopping ??= (async () => {
        tokens.stop();
        keys.stop();
        broker.closeAll();
        admin.server.closeAllConnections();
        await Promise.all([
          mqttServer.close(),
          controlPlane.close(),
          new Promise<void>((resolve) => admin.server.close(() => resolve())),
        ]);
        await store.flush();
      })();
      return stopping;
    },
  };
}
