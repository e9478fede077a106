import type { Logger } from '@claimline/logger';

export const OPERATIONS = ['CreateKeysAndCertificate', 'CreateCertificateFromCsr', 'RegisterThing'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Requests per second; 0 switches that one limit off. */
export type Quotas = {
  registerThingPerSecond: number;
  createKeysAndCertificatePerSecond: number;
  createCertificateFromCsrPerSecond: number;
  connectPerSecond: number;
  connectPerClientIdPerSecond: number;
  publishPerConnectionPerSecond: number;
};

export const DEFAULT_QUOTAS: Quotas = {
  registerThingPerSecond: 10,
  createKeysAndCertificatePerSecond: 10,
  createCertificateFromCsrPerSecond: 15,
  connectPerSecond: 500,
  connectPerClientIdPerSecond: 1,
  publishPerConnectionPerSecond: 100,
};

export type FaultRates = {
  delayMs: number;
  /** 0..1: the response is silently not sent. */
  dropRate: number;
  /** 0..1: answered with 500 InternalFailure. */
  errorRate: number;
  /** 0..1: answered with 429 ThrottlingException. */
  throttleRate: number;
  /** 0..1: the connection is closed right after the request arrives. */
  disconnectAfterRequestRate: number;
};

export type Faults = FaultRates & {
  /** Seed of the fault RNG, so a test run is reproducible. */
  seed: number;
  /** Overrides for single operations. */
  operations: Partial<Record<Operation, Partial<FaultRates>>>;
};

export const NO_FAULTS: Faults = {
  delayMs: 0,
  dropRate: 0,
  errorRate: 0,
  throttleRate: 0,
  disconnectAfterRequestRate: 0,
  seed: 1,
  operations: {},
};

export const DEFAULT_SERVER_NAMES = ['localhost', '127.0.0.1'] as const;

export type KeyAlgorithm = 'rsa-2048' | 'ec-p256';

export type EmulatorOptions = {
  stateDir: string;
  host?: string;
  port?: number;
  /** DNS names and IP addresses the server certificate names (its subject alternative names). */
  serverNames?: readonly string[];
  adminPort?: number;
  /** HTTPS port of the AWS IoT control plane (REST, SigV4); 0 = a free port. Default 8885. */
  controlPort?: number;
  /** Admin API listen address; default 127.0.0.1. Beyond loopback `adminToken` is required. */
  adminHost?: string;
  /** Bearer token the admin API requires (all routes but /healthz). Never logged. */
  adminToken?: string;
  keyAlgorithm?: KeyAlgorithm;
  templatesDir?: string;
  templates?: Record<string, unknown>;
  tokenTtlSeconds?: number;
  /** Milliseconds since the epoch for token expiry (tests pass a manual clock); default `Date.now`. */
  clock?: () => number;
  quotas?: Partial<Quotas> | 'off';
  faults?: Partial<Faults>;
  logger?: Logger;
  /** Pre-provisioning hook time-out; AWS allows 5 s. */
  hookTimeoutMs?: number;
  /** How many generated keys to keep ready per algorithm. */
  keyPoolSize?: number;
  /** The claim certificate's AWS IoT policy document (JSON); default: the bundled one AWS documents. */
  claimPolicyFile?: string;
};

export function resolveQuotas(quotas: Partial<Quotas> | 'off' | undefined): Quotas {
  if (quotas === 'off') {
    return Object.fromEntries(Object.keys(DEFAULT_QUOTAS).map((key) => [key, 0])) as Quotas;
  }
  return { ...DEFAULT_QUOTAS, ...quotas };
}
