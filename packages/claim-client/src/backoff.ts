/** AWS IoT accepts at most one CONNECT per second per client id; more are throttled or refused. */
export const MIN_CONNECT_INTERVAL_MS = 1000;

/**
 * Delay before the next CONNECT of one client id: exponential back-off with full jitter over
 * `attempt` consecutive failures, but never sooner than 1 s after this client id's previous CONNECT,
 * whatever the jitter drew. `random` is injectable for tests.
 */
export function reconnectDelayMs(
  attempt: number,
  sinceLastConnectMs: number,
  options: { minDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt, 20));
  const jittered = options.minDelayMs + random() * Math.max(0, ceiling - options.minDelayMs);
  const floor = MIN_CONNECT_INTERVAL_MS - sinceLastConnectMs;
  return Math.max(Math.round(jittered), Math.ceil(floor), 0);
}
