import { randomBytes } from 'node:crypto';
import type { RegistryStore } from './registry-store.js';

/**
 * Single-use ownership tokens. A certificate not registered before its token expires is deleted,
 * as AWS deletes unclaimed PENDING_ACTIVATION certificates after an hour.
 */
export class OwnershipTokens {
  readonly #inUse = new Set<string>();
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(
    private readonly store: RegistryStore,
    private readonly ttlSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.#sweepTimer = setInterval(() => this.sweep(), Math.min(60, Math.max(1, ttlSeconds)) * 1000);
    this.#sweepTimer.unref();
  }

  issue(certificateId: string): string {
    const token = randomBytes(48).toString('base64url');
    this.store.tokens.set(token, { token, certificateId, expiresAt: this.clock() + this.ttlSeconds * 1000 });
    this.store.changed();
    return token;
  }

  /** Reserves a valid token for one RegisterThing; undefined if unknown, expired, used or in use. */
  reserve(token: unknown): string | undefined {
    if (typeof token !== 'string') return undefined;
    const entry = this.store.tokens.get(token);
    if (!entry || entry.expiresAt <= this.clock() || this.#inUse.has(token)) return undefined;
    this.#inUse.add(token);
    return entry.certificateId;
  }

  release(token: string): void {
    this.#inUse.delete(token);
  }

  consume(token: string): void {
    this.#inUse.delete(token);
    this.store.tokens.delete(token);
    this.store.changed();
  }

  sweep(now = this.clock()): void {
    for (const entry of [...this.store.tokens.values()]) {
      if (entry.expiresAt > now || this.#inUse.has(entry.token)) continue;
      this.store.tokens.delete(entry.token);
      const cert = this.store.certificates.get(entry.certificateId);
      if (cert && cert.status === 'PENDING_ACTIVATION' && !cert.thingName)
        this.store.certificates.delete(entry.certificateId);
      this.store.changed();
    }
  }

  stop(): void {
    clearInterval(this.#sweepTimer);
  }
}
