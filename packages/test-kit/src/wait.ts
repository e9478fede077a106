/**
 * Waiting in tests, on a positive signal only. `waitFor` polls a condition until it holds; there is
 * deliberately no "wait and see that nothing happened": to show that something did not arrive, wait
 * for a later thing that must arrive after it (a barrier message, a counter, a log line) and then look.
 */

export type WaitOptions = {
  timeoutMs: number;
  /** Between two probes; the probe itself is the signal, this only paces it. */
  intervalMs?: number;
  /** Appended to the time-out error: the state that explains why the condition never held. */
  detail?: () => string | Promise<string>;
};

/** Resolves after `ms`: pacing between probes or retries, never evidence that nothing happened. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns a truthy value, which it returns. A probe that throws counts as "not
 * yet" (its last error is reported). Throws `timed out after N s waiting for <what>` with `detail()`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  options: WaitOptions,
): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > options.timeoutMs) {
      const detail = options.detail
        ? await Promise.resolve()
            .then(options.detail)
            .catch((e: unknown) => String(e))
        : '';
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(
        `timed out after ${(options.timeoutMs / 1000).toFixed(1)} s waiting for ${what}${last}${detail ? `\n${detail}` : ''}`,
      );
    }
    await delay(options.intervalMs ?? 100);
  }
}
