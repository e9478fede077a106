/**
 * One figure of a benchmark, as every bench prints it (`pnpm bench` collects the JSON line): a value,
 * the baseline it is compared with when there is one (measured in the same run), the ratio and the
 * target it must meet.
 */
export type BenchResult = {
  name: string;
  value: number;
  unit: string;
  baseline: { name: string; value: number } | null;
  ratio: number | null;
  target: string | null;
  pass: boolean | null;
};

/** The nearest-rank percentile (`q` in 0..1) of samples that are already sorted ascending. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile ${q} is not within 0..1`);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1))]!;
}

export type LatencySummary = { count: number; p50: number; p95: number; p99: number; max: number };

/** p50, p95, p99 and max of unsorted samples (not modified). */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

export const median = (samples: readonly number[]): number =>
  percentile(
    [...samples].sort((a, b) => a - b),
    0.5,
  );
