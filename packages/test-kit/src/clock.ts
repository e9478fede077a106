/** The clock code under test reads, as milliseconds since the epoch (`Date.now`'s shape). */
export type Clock = () => number;

/**
 * A clock a test moves by hand, for TTLs and expiry: hand `clock.now` to the code under test, then
 * `advance()` past the TTL instead of sleeping through it.
 */
export class ManualClock {
  #now: number;

  constructor(start: number | Date = Date.now()) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  /** Bound, so it can be passed as a `Clock`. */
  readonly now: Clock = () => this.#now;

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (advance(${ms}))`);
    this.#now += ms;
  }

  date(): Date {
    return new Date(this.#now);
  }
}
