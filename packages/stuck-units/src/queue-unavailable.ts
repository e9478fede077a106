/** The queue (Redis) could not be read or written: the unit is left as it was, for a later try. */
export class QueueUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the provisioning queue is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'QueueUnavailable';
  }
}

/** Runs a queue operation, turning any failure into `QueueUnavailable`. */
export async function onQueue<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new QueueUnavailable(error);
  }
}
