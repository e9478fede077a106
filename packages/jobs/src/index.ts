export { createRedisConnection, type ConnectionRole } from './connection.js';
export {
  QUEUES,
  JOBS,
  provisionDevicePayload,
  provisionJobId,
  toQueuePriority,
  jitteredBackoff,
  type QueueName,
  type JobName,
  type ProvisionDevicePayload,
} from './catalog.js';
export { enqueueProvisioning, backoffStrategy, type DeviceToProvision } from './enqueue.js';
export { createQueues, type Queues } from './queues.js';
