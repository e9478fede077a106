export { createRedisConnection, type ConnectionRole } from './connection.js';
export {
  QUEUES,
  JOBS,
  provisionDevicePayload,
  certificateMaintenancePayload,
  maintenanceJobId,
  type CertificateMaintenancePayload,
  type MaintenanceJobName,
  provisionJobId,
  toQueuePriority,
  jitteredBackoff,
  type QueueName,
  type JobName,
  type ProvisionDevicePayload,
} from './catalog.js';
export {
  enqueueMaintenance,
  enqueueProvisioning,
  backoffStrategy,
  type DeviceToProvision,
  type MaintenanceRequest,
} from './enqueue.js';
export { createQueues, type Queues } from './queues.js';
