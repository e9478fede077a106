/** A bucket of `ratePerSecond` tokens that refills continuously; rate 0 means unlimited. */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    now = Date.now(),
  ) {
    this.#tokens = ratePerSecond;
    this.#updatedAt = now;
  }

  take(now = Date.now()): boolean {
    if (this.ratePerSecond <= 0) return true;
    this.#tokens = Math.min(
      this.ratePerSecond,
      this.#tokens + ((now - this.#updatedAt) / 1000) * this.ratePerSecond,
    );
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
