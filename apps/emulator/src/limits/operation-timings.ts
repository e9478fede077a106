/** How many durations are kept per operation (the newest). */
const KEEP = 10_000;

/**
 * How long the emulator took to answer each fleet-provisioning request, from the request's arrival to
 * its answer being published (quota check, injected delay, the operation itself): what AWS's side of a
 * call costs, for benchmarks that break a latency down. In memory only; the newest KEEP per operation.
 */
export class OperationTimings {
  readonly #byOperation = new Map<string, number[]>();

  record(operation: string, ms: number): void {
    const samples = this.#byOperation.get(operation) ?? [];
    samples.push(ms);
    if (samples.length > KEEP) samples.splice(0, samples.length - KEEP);
    this.#byOperation.set(operation, samples);
  }

  /** Durations in ms per operation, oldest first. */
  snapshot(): Record<string, number[]> {
    return Object.fromEntries(
      [...this.#byOperation].map(([operation, samples]) => [operation, [...samples]]),
    );
  }
}
