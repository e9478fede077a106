/**
 * Numbers recorded per operation, in memory only, the newest `keep` of each (trimmed in bulk, one copy
 * per `keep` records, not per call). The emulator keeps two such logs:
 * - timings: how long it took to answer each fleet-provisioning request, from the request's arrival to
 *   its answer being published (quota check, injected delay, the operation itself): what AWS's side of a
 *   call costs, for benchmarks that break a latency down (10,000 kept);
 * - arrivals: when each control-plane request arrived (epoch ms, on the emulator's clock): what AWS
 *   counts a per-second quota against, so a benchmark can show the busiest arrival second (100,000 kept).
 */
export class OperationSamples {
  readonly #byOperation = new Map<string, number[]>();

  constructor(private readonly keep: number) {}

  record(operation: string, value: number): void {
    const samples = this.#byOperation.get(operation) ?? [];
    samples.push(value);
    if (samples.length > 2 * this.keep) samples.splice(0, samples.length - this.keep);
    this.#byOperation.set(operation, samples);
  }

  /** The values per operation, oldest first; at most `keep` each. */
  snapshot(): Record<string, number[]> {
    return Object.fromEntries(
      [...this.#byOperation].map(([operation, samples]) => [operation, samples.slice(-this.keep)]),
    );
  }
}

/** Time to answer each fleet-provisioning request, in ms. */
export const operationTimings = () => new OperationSamples(10_000);
/** Arrival time of each control-plane request, epoch ms. */
export const operationArrivals = () => new OperationSamples(100_000);
