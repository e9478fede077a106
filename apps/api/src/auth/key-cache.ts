import { createNotificationListener, type NotificationListener } from '@claimline/db';
import type { Logger } from '@claimline/logger';
import type { Principal } from './principal.js';

export const API_KEY_CHANNEL = 'claimline_api_key';

type Entry = { principal: Principal; lastUsedAt: number; cachedAt: number };

export type ApiKeyCache = {
  /** The principal cached for this key hash, if the cache is trustworthy right now. */
  get(hash: string): Entry | undefined;
  /** Counts notifications and reconnections: read it before the lookup, pass it to `set`. */
  version(): number;
  /** Caches unless something was announced since `version` (the lookup may predate a revocation). */
  set(hash: string, principal: Principal, lastUsedAt: number, version: number): void;
  /** Drops a key by id (what the database announces). */
  forget(keyId: string): void;
  /** Resolves on the next notification heard (tests). */
  nextInvalidation(): Promise<string>;
  /** Calls `listener` with the id of every key whose standing changes (revoked, role, …). */
  onInvalidate(listener: (keyId: string) => void): void;
  readonly live: boolean;
  /** Resolves once LISTEN is established the first time. */
  ready(): Promise<void>;
  close(): Promise<void>;
};

/**
 * Authenticated keys cached in memory, trusted only while the LISTEN connection is up: the database
 * announces every change to a key's standing (trigger `api_key_notify`), so a revoked key is refused
 * on its next request. While the connection is down, the cache is empty and unused (every request
 * looks the key up); entries also expire after `ttlMs` as a second line.
 */
export function createApiKeyCache(databaseUrl: string, logger: Logger, ttlMs = 300_000): ApiKeyCache {
  const byHash = new Map<string, Entry>();
  const hashById = new Map<string, string>();
  let waiters: ((id: string) => void)[] = [];
  const subscribers = new Set<(keyId: string) => void>();
  let changes = 0;
  let markReady: () => void = () => undefined;
  const readyOnce = new Promise<void>((resolve) => (markReady = resolve));
  const clear = () => {
    changes++;
    byHash.clear();
    hashById.clear();
  };
  const forget = (keyId: string) => {
    const hash = hashById.get(keyId);
    if (hash) byHash.delete(hash);
    hashById.delete(keyId);
  };
  const listener: NotificationListener = createNotificationListener({
    url: databaseUrl,
    channel: API_KEY_CHANNEL,
    onNotify: (keyId) => {
      changes++;
      forget(keyId);
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake(keyId);
      for (const subscriber of subscribers) subscriber(keyId);
    },
    onDown: (err) => {
      clear();
      logger.warn({ err }, 'API key cache: LISTEN connection lost; looking keys up until it is back');
    },
    // Anything may have changed while it was down.
    onLive: () => {
      clear();
      markReady();
    },
  });
  return {
    get(hash) {
      if (!listener.live) return undefined;
      const entry = byHash.get(hash);
      if (entry && Date.now() - entry.cachedAt > ttlMs) {
        forget(entry.principal.keyId);
        return undefined;
      }
      return entry;
    },
    version: () => changes,
    set(hash, principal, lastUsedAt, version) {
      if (!listener.live || version !== changes) return;
      byHash.set(hash, { principal, lastUsedAt, cachedAt: Date.now() });
      hashById.set(principal.keyId, hash);
    },
    forget,
    nextInvalidation: () => new Promise((resolve) => waiters.push(resolve)),
    onInvalidate: (listener) => void subscribers.add(listener),
    get live() {
      return listener.live;
    },
    ready: () => readyOnce,
    async close() {
      clear();
      await listener.close();
    },
  };
}
