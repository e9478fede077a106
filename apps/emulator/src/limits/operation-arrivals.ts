/** How many arrivals are kept per operation (the newest). */
const KEEP = 100_000;

/**
 * When each control-plane request arrived (epoch ms, on the emulator's clock), per operation: what AWS
 * counts a per-second quota against, so a benchmark can show the busiest arrival second. In memory
 * only; the newest KEEP per operation.
 */
export class OperationArrivals {
  readonly #byOperation = new Map<string, number[]>();

  record(operation: string, arrivedAt: number): void {
    const arrivals = this.#byOperation.get(operation) ?? [];
    arrivals.push(arrivedAt);
    // Trimmed in bulk, not per call: one copy per KEEP arrivals.
    if (arrivals.length > 2 * KEEP) arrivals.splice(0, arrivals.length - KEEP);
    this.#byOperation.set(operation, arrivals);
  }

  /** Arrival times (epoch ms) per operation, oldest first; at most KEEP each. */
  snapshot(): Record<string, number[]> {
    return Object.fromEntries(
      [...this.#byOperation].map(([operation, arrivals]) => [operation, arrivals.slice(-KEEP)]),
    );
  }
}
