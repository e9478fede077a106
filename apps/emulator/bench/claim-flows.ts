// Claim flows per second through the emulator: CreateKeysAndCertificate + RegisterThing over a pool of
// SDK MQTT5 connections (one client id and one IotIdentityClientv2 each). Run: pnpm --filter @claimline/emulator bench [--json]
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { summarizeLatencies } from '@claimline/test-kit';
import { iot, mqtt5 } from 'aws-crt';
import { iotidentity } from 'aws-iot-device-sdk-v2';

type Ready = {
  host: string;
  port: number;
  files: { caPath: string; claimCertPath: string; claimKeyPath: string };
};
type Result = {
  keyAlgorithm: string;
  concurrency: number;
  flows: number;
  seconds: number;
  flowsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  emulatorCpuMsPerFlow: number;
};

const FLOWS_PER_WORKER = { 1: 40, 8: 12, 32: 6 } as Record<number, number>;

async function startChild(keyAlgorithm: string): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(join(__dirname, 'emulator-process.ts'), [keyAlgorithm], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TSX_TSCONFIG_PATH: join(__dirname, '../tsconfig.bench.json') },
  });
  const [message] = (await once(child, 'message')) as [{ ready: Ready }];
  return { child, ready: message.ready };
}

async function childCpuMs(child: ChildProcess): Promise<number> {
  child.send('cpu');
  const [message] = (await once(child, 'message')) as [{ cpu: NodeJS.CpuUsage }];
  return (message.cpu.user + message.cpu.system) / 1000;
}

async function connect(ready: Ready, clientId: string) {
  const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
    ready.host,
    await readFile(ready.files.claimCertPath, 'utf8'),
    await readFile(ready.files.claimKeyPath, 'utf8'),
  );
  builder.withPort(ready.port);
  builder.withCertificateAuthority(await readFile(ready.files.caPath, 'utf8'));
  builder.withConnectProperties({ clientId, keepAliveIntervalSeconds: 60 });
  const client = new mqtt5.Mqtt5Client(builder.build());
  const connected = once(client, mqtt5.Mqtt5Client.CONNECTION_SUCCESS);
  client.start();
  await connected;
  const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(client, {
    maxRequestResponseSubscriptions: 4,
    maxStreamingSubscriptions: 1,
    operationTimeoutInSeconds: 30,
  });
  return {
    identity,
    close: async () => {
      identity.close();
      const stopped = once(client, mqtt5.Mqtt5Client.STOPPED);
      client.stop();
      await stopped;
      client.close();
    },
  };
}

async function run(
  keyAlgorithm: string,
  concurrency: number,
  ready: Ready,
  child: ChildProcess,
): Promise<Result> {
  const pool = await Promise.all(
    Array.from({ length: concurrency }, (_, i) =>
      connect(ready, `bench-${keyAlgorithm}-${concurrency}-${i}`),
    ),
  );
  const perWorker = FLOWS_PER_WORKER[concurrency] ?? 8;
  const latencies: number[] = [];
  let serial = 0;
  const cpuBefore = await childCpuMs(child);
  const started = performance.now();
  await Promise.all(
    pool.map(async ({ identity }) => {
      for (let i = 0; i < perWorker; i++) {
        const t0 = performance.now();
        const created = await identity.createKeysAndCertificate({});
        await identity.registerThing({
          templateName: 'claimline-default',
          certificateOwnershipToken: created.certificateOwnershipToken!,
          parameters: { SerialNumber: `BENCH-${keyAlgorithm}-${concurrency}-${serial++}` },
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = (await childCpuMs(child)) - cpuBefore;
  await Promise.all(pool.map((c) => c.close()));
  const { p50, p95, count: flows } = summarizeLatencies(latencies);
  return {
    keyAlgorithm,
    concurrency,
    flows,
    seconds: Number(seconds.toFixed(2)),
    flowsPerSecond: Number((flows / seconds).toFixed(1)),
    p50Ms: Math.round(p50),
    p95Ms: Math.round(p95),
    emulatorCpuMsPerFlow: Number((cpuMs / flows).toFixed(2)),
  };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const results: Result[] = [];
  for (const keyAlgorithm of ['rsa-2048', 'ec-p256']) {
    const { child, ready } = await startChild(keyAlgorithm);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let the key pool fill
    for (const concurrency of [1, 8, 32]) results.push(await run(keyAlgorithm, concurrency, ready, child));
    child.send('stop');
    await once(child, 'exit');
  }
  console.table(results);
  if (json) {
    // Each figure beside the same key algorithm at concurrency 1, from this run: the ratio is the scaling.
    const figures = results.flatMap((r) => {
      const single = results.find((x) => x.keyAlgorithm === r.keyAlgorithm && x.concurrency === 1)!;
      return [
        {
          name: `claim flows/s, ${r.keyAlgorithm}, concurrency ${r.concurrency}`,
          value: r.flowsPerSecond,
          unit: 'flows/s',
          baseline:
            r.concurrency === 1
              ? null
              : { name: `${r.keyAlgorithm}, concurrency 1`, value: single.flowsPerSecond },
          ratio: r.concurrency === 1 ? null : Number((r.flowsPerSecond / single.flowsPerSecond).toFixed(2)),
          target: null,
          pass: null,
        },
        {
          name: `emulator CPU per flow, ${r.keyAlgorithm}, concurrency ${r.concurrency}`,
          value: r.emulatorCpuMsPerFlow,
          unit: 'ms',
          baseline: null,
          ratio: null,
          target: null,
          pass: null,
        },
      ];
    });
    console.log(JSON.stringify({ bench: '@claimline/emulator', results: figures }));
  }
  // The native MQTT5 clients can keep Node alive for a while after close() (aws-crt-nodejs#600).
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
