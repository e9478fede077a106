import { hostname } from 'node:os';
import type { Logger } from '@claimline/logger';
import { ClaimConnection } from './claim-connection.js';
import { ClaimLease } from './claim-lease.js';
import { ClaimConnectionError, ClaimTimeoutError } from './errors.js';
import type { ClaimPoolOptions, PayloadFormat, PoolCounts } from './types.js';

export type AcquireOptions = { signal?: AbortSignal; timeoutMs?: number };

type Waiter = { grant(connection: ClaimConnection): void; fail(error: unknown): void };

const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;

/** Host names may hold dots and more; client ids keep to what AWS recommends. */
const clientIdPart = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 48);

/**
 * K long-lived claim connections, each with its own client id, MQTT5 client and identity client,
 * each leased to one flow at a time. Throughput comes from K: an operation costs ~40 ms on one
 * connection (the SDK does not set TCP_NODELAY), so flows are spread over connections, never
 * multiplexed on one. `acquire()` is FIFO; a waiter gets the first connection that is up and free.
 */
export class ClaimConnectionPool {
  readonly #connections: ClaimConnection[];
  readonly #busy = new Set<ClaimConnection>();
  readonly #waiters: Waiter[] = [];
  readonly #readyWaiters = new Set<(closing?: boolean) => void>();
  readonly #format: PayloadFormat;
  readonly #acquireTimeoutMs: number;
  readonly #logger: Logger;
  #started = false;
  #closing?: Promise<void>;

  constructor(options: ClaimPoolOptions, logger: Logger) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError('pool size must be a positive integer');
    this.#format = options.format ?? 'json';
    this.#acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
    this.#logger = logger;
    const host = clientIdPart(options.hostname ?? hostname());
    this.#connections = Array.from(
      { length: options.size },
      (_, index) =>
        new ClaimConnection({
          ...options,
          clientId: `${options.clientIdPrefix}-${host}-${process.pid}-${index + 1}`,
          reconnectMinDelayMs: options.reconnectMinDelayMs ?? 1000,
          reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
          logger,
          onChange: () => this.#dispatch(),
        }),
    );
  }

  get clientIds(): string[] {
    return this.#connections.map((connection) => connection.clientId);
  }

  /** Connects every connection (asynchronously; see `ready()`). */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    for (const connection of this.#connections) connection.start();
    return this;
  }

  /** For metrics: connections up, leased, and callers waiting. */
  counts(): PoolCounts {
    return {
      size: this.#connections.length,
      up: this.#connections.filter((connection) => connection.isUp).length,
      busy: this.#busy.size,
      waiting: this.#waiters.length,
    };
  }

  /** Resolves once every connection is up; rejects with ClaimTimeoutError after `timeoutMs`. */
  ready(timeoutMs = 10_000): Promise<void> {
    if (this.counts().up === this.#connections.length) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (closing = false) => {
        if (!closing && this.counts().up < this.#connections.length) return;
        clearTimeout(timer);
        this.#readyWaiters.delete(check);
        if (closing) reject(new ClaimConnectionError('connect', 'claim pool is closing'));
        else resolve();
      };
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(check);
        reject(new ClaimTimeoutError('connect', timeoutMs));
      }, timeoutMs);
      this.#readyWaiters.add(check);
    });
  }

  /** Waits (FIFO) for a connection that is up and free. */
  acquire(options: AcquireOptions = {}): Promise<ClaimLease> {
    if (this.#closing) return Promise.reject(new ClaimConnectionError('acquire', 'claim pool is closed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeoutMs = options.timeoutMs ?? this.#acquireTimeoutMs;
    return new Promise<ClaimLease>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
      };
      const waiter: Waiter = {
        grant: (connection) => {
          done();
          resolve(this.#lease(connection));
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = () => waiter.fail(signal?.reason);
      const timer = setTimeout(() => waiter.fail(new ClaimTimeoutError('acquire', timeoutMs)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#dispatch();
    });
  }

  /** acquire → fn(lease) → release, whatever fn does. */
  async withLease<T>(fn: (lease: ClaimLease) => Promise<T>, options: AcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(options);
    try {
      return await fn(lease);
    } finally {
      lease.release();
    }
  }

  /**
   * Fails waiters, fails operations in flight with a retryable ClaimConnectionError, closes every
   * identity client, stops every MQTT5 client and awaits its `stopped` event, then frees it.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const waiter of [...this.#waiters])
        waiter.fail(new ClaimConnectionError('acquire', 'claim pool is closing'));
      for (const check of [...this.#readyWaiters]) check(true);
      await Promise.all(this.#connections.map((connection) => connection.close()));
      this.#logger.debug('claim pool closed');
    })();
    return this.#closing;
  }

  #lease(connection: ClaimConnection): ClaimLease {
    this.#busy.add(connection);
    return new ClaimLease(connection, this.#format, (released) => {
      this.#busy.delete(released);
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (const check of [...this.#readyWaiters]) check();
    while (this.#waiters.length > 0 && !this.#closing) {
      const free = this.#connections.find((connection) => connection.isUp && !this.#busy.has(connection));
      if (!free) return;
      const waiter = this.#waiters[0];
      if (!waiter) return;
      waiter.grant(free);
    }
  }
}
