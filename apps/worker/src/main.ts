#!/usr/bin/env node
// claimline worker: BullMQ consumer of the provisioning queue. Configuration: environment (README).
import { ConfigError, loadConfig, workerSchema } from '@claimline/config';
import { createLogger } from '@claimline/logger';
import { startWorkerProcess } from './worker-process.js';

async function main(): Promise<void> {
  const config = loadConfig('worker', workerSchema);
  const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL });
  const worker = await startWorkerProcess(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new jobs, finishing the ones in flight');
    worker.close().then(
      // The SDK's MQTT5 client keeps the event loop alive after a clean stop: exit explicitly.
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
