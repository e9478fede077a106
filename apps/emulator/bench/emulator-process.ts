// Child process of the benchmark: runs one emulator so its CPU time is measured apart from the clients'.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type KeyAlgorithm } from '../src/index.js';

async function main(): Promise<void> {
  const keyAlgorithm = (process.argv[2] ?? 'ec-p256') as KeyAlgorithm;
  const emulator = await startEmulator({
    stateDir: await mkdtemp(join(tmpdir(), 'claimline-bench-')),
    port: 0,
    adminPort: 0,
    controlPort: 0,
    keyAlgorithm,
    keyPoolSize: 8,
    quotas: 'off',
    templatesDir: join(__dirname, '../templates'),
  });
  process.on('message', (message: string) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (message === 'stop') void emulator.stop().then(() => process.exit(0));
  });
  process.send?.({ ready: { host: emulator.host, port: emulator.port, files: emulator.files } });
}

void main();
