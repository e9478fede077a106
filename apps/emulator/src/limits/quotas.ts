import { resolveQuotas, type Operation, type Quotas } from '../options.js';
import { TokenBucket } from './token-bucket.js';

const OPERATION_QUOTA: Record<Operation, keyof Quotas> = {
  CreateKeysAndCertificate: 'createKeysAndCertificatePerSecond',
  CreateCertificateFromCsr: 'createCertificateFromCsrPerSecond',
  RegisterThing: 'registerThingPerSecond',
};

const PER_CLIENT_ID_LIMIT = 10_000;

/** Account-wide and per-client-id token buckets; changing a quota starts its bucket afresh. */
export class QuotaLimiter {
  #quotas: Quotas;
  #accountBuckets = new Map<keyof Quotas, TokenBucket>();
  #clientIdBuckets = new Map<string, TokenBucket>();

  constructor(quotas: Partial<Quotas> | 'off' | undefined) {
    this.#quotas = resolveQuotas(quotas);
  }

  get quotas(): Quotas {
    return { ...this.#quotas };
  }

  set(quotas: Partial<Quotas> | 'off'): void {
    this.#quotas = quotas === 'off' ? resolveQuotas('off') : { ...this.#quotas, ...quotas };
    this.#accountBuckets.clear();
    this.#clientIdBuckets.clear();
  }

  allowOperation(operation: Operation): boolean {
    return this.#account(OPERATION_QUOTA[operation]).take();
  }

  allowConnect(clientId: string): boolean {
    if (!this.#account('connectPerSecond').take()) return false;
    const rate = this.#quotas.connectPerClientIdPerSecond;
    if (rate <= 0) return true;
    let bucket = this.#clientIdBuckets.get(clientId);
    if (!bucket) {
      if (this.#clientIdBuckets.size >= PER_CLIENT_ID_LIMIT) this.#clientIdBuckets.clear();
      bucket = new TokenBucket(rate);
      this.#clientIdBuckets.set(clientId, bucket);
    }
    return bucket.take();
  }

  /** A fresh bucket for one connection's publishes. */
  publishBucket(): TokenBucket {
    return new TokenBucket(this.#quotas.publishPerConnectionPerSecond);
  }

  #account(key: keyof Quotas): TokenBucket {
    let bucket = this.#accountBuckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.#quotas[key]);
      this.#accountBuckets.set(key, bucket);
    }
    return bucket;
  }
}
