import { generateKeyPair, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from '../options.js';

export type GeneratedKey = { privateKeyPem: string; publicKeyDer: Buffer };

/** Runs in libuv's thread pool, so the event loop stays free while RSA primes are searched. */
export function generateKey(algorithm: KeyAlgorithm): Promise<GeneratedKey> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) => {
      if (error) return reject(error);
      // AWS returns RSA keys as PKCS#1 PEM; SEC1 is the EC equivalent.
      const type = algorithm === 'rsa-2048' ? 'pkcs1' : 'sec1';
      resolve({
        privateKeyPem: privateKey.export({ type, format: 'pem' }) as string,
        publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }),
      });
    };
    if (algorithm === 'rsa-2048') generateKeyPair('rsa', { modulusLength: 2048 }, done);
    else generateKeyPair('ec', { namedCurve: 'prime256v1' }, done);
  });
}

/**
 * Keeps a few keys ready so CreateKeysAndCertificate rarely waits for a generation; refills in the
 * background, at most `parallelism` generations at a time.
 */
export class KeyPool {
  readonly #ready: GeneratedKey[] = [];
  readonly #waiting: { resolve: (key: GeneratedKey) => void; reject: (error: Error) => void }[] = [];
  #generating = 0;
  #stopped = false;

  constructor(
    readonly algorithm: KeyAlgorithm,
    private readonly size: number,
    private readonly parallelism = 2,
  ) {
    this.#refill();
  }

  take(): Promise<GeneratedKey> {
    if (this.#stopped) return Promise.reject(new Error('key pool stopped'));
    const key = this.#ready.shift();
    const promise = key
      ? Promise.resolve(key)
      : new Promise<GeneratedKey>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    this.#refill();
    return promise;
  }

  stop(): void {
    this.#stopped = true;
    this.#ready.length = 0;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error('key pool stopped'));
  }

  #refill(): void {
    while (
      !this.#stopped &&
      this.#generating < this.parallelism &&
      this.#ready.length + this.#generating < this.size + this.#waiting.length
    ) {
      this.#generating += 1;
      generateKey(this.algorithm).then(
        (key) => {
          this.#generating -= 1;
          if (this.#stopped) return;
          const waiter = this.#waiting.shift();
          if (waiter) waiter.resolve(key);
          else this.#ready.push(key);
          this.#refill();
        },
        (error: Error) => {
          this.#generating -= 1;
          this.#waiting.shift()?.reject(error);
        },
      );
    }
  }
}
