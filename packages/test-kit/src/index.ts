export { delay, waitFor, type WaitOptions } from './wait.js';
export { freePort, freePorts } from './ports.js';
export { ManualClock, type Clock } from './clock.js';
export {
  median,
  percentile,
  summarizeLatencies,
  type BenchResult,
  type LatencySummary,
} from './bench-result.js';
export { machineCpuMs, processCpuMs } from './cpu-time.js';
export { repoRoot, startNodeProcess, type Exit, type Proc, type StartOptions } from './processes.js';
export { connectSdkMqtt5, type MtlsEndpoint, type SdkMqtt5Connection } from './aws-mqtt.js';
