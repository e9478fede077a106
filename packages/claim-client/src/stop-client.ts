import type { mqtt5 } from 'aws-crt';
import type { Logger } from '@claimline/logger';

const STOP_WAIT_MS = 5000;

/**
 * client.stop(), await its `stopped` event (bounded), client.close(): the SDK leaks native resources
 * (and keeps the process alive) otherwise. Never throws.
 */
export async function stopClient(client: mqtt5.Mqtt5Client, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<void>((resolve) => {
    client.once('stopped', () => resolve());
    timer = setTimeout(() => {
      logger.warn('MQTT client did not report stopped in time');
      resolve();
    }, STOP_WAIT_MS);
  });
  try {
    // Deferred: stop() from inside the client's own callbacks is avoided.
    await new Promise((resolve) => setImmediate(resolve));
    client.stop();
    await stopped;
    client.close();
  } catch (error) {
    logger.warn({ err: error }, 'MQTT client stop failed');
  } finally {
    clearTimeout(timer);
  }
}
