import { NO_FAULTS, type FaultRates, type Faults, type Operation } from '../options.js';

/** mulberry32: tiny, seedable, good enough to pick which requests fail. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultDecision = {
  delayMs: number;
  drop: boolean;
  error: boolean;
  throttle: boolean;
  disconnect: boolean;
};

/** Injected failures; the same seed and the same request order give the same decisions. */
export class FaultInjector {
  #faults: Faults;
  #random: () => number;

  constructor(faults: Partial<Faults> | undefined) {
    this.#faults = { ...NO_FAULTS, ...faults };
    this.#random = seededRandom(this.#faults.seed);
  }

  get faults(): Faults {
    return structuredClone(this.#faults);
  }

  /** Replaces the fault settings (unset fields fall back to no fault) and restarts the RNG. */
  set(faults: Partial<Faults>): void {
    this.#faults = { ...NO_FAULTS, ...faults };
    this.#random = seededRandom(this.#faults.seed);
  }

  decide(operation: Operation): FaultDecision {
    const rates: FaultRates = { ...this.#faults, ...this.#faults.operations[operation] };
    const roll = (rate: number) => rate > 0 && this.#random() < rate;
    return {
      delayMs: rates.delayMs,
      disconnect: roll(rates.disconnectAfterRequestRate),
      throttle: roll(rates.throttleRate),
      error: roll(rates.errorRate),
      drop: roll(rates.dropRate),
    };
  }
}
