import { once } from 'node:events';
import { iot, mqtt5 } from 'aws-crt';
import { iotidentity } from 'aws-iot-device-sdk-v2';

/** Where the loop connects: the emulator's MQTT listener and its client files. */
export type BareLoopTarget = {
  host: string;
  port: number;
  files: { caPath: string; claimCertPath: string; claimKeyPath: string };
};

/** Flows per second, and the CPU of the whole process (every thread, aws-crt's included) per flow. */
export type BareLoopResult = { flowsPerSecond: number; cpuMsPerFlow: number };

/**
 * The floor for the worker pipeline: K raw SDK connections (one IotIdentityClientv2 each, as the claim
 * pool has), each running CreateKeysAndCertificate + RegisterThing (JSON) back to back. No database,
 * no vault, no queue, no quota. Run in a process of its own (bare-sdk-main.ts), so that the CPU it
 * reports is the loop's alone. Connecting and `warmupFlows` flows come first, outside the measured part.
 */
export async function bareSdkLoop(
  emulator: BareLoopTarget,
  connections: number,
  flows: number,
  template: string,
  warmupFlows: number,
): Promise<BareLoopResult> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async (_, n) => {
      const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(
        emulator.host,
        emulator.files.claimCertPath,
        emulator.files.claimKeyPath,
      );
      builder.withPort(emulator.port);
      builder.withCertificateAuthorityFromPath(undefined, emulator.files.caPath);
      builder.withConnectProperties({
        clientId: `bench-bare-${process.pid}-${n}`,
        keepAliveIntervalSeconds: 60,
      });
      const client = new mqtt5.Mqtt5Client(builder.build());
      const up = once(client, mqtt5.Mqtt5Client.CONNECTION_SUCCESS);
      client.start();
      await up;
      const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(client, {
        maxRequestResponseSubscriptions: 6,
        maxStreamingSubscriptions: 1,
        operationTimeoutInSeconds: 10,
      });
      return { client, identity };
    }),
  );
  try {
    const run = async (count: number, prefix: string) => {
      let next = 0;
      await Promise.all(
        clients.map(async ({ identity }) => {
          while (next < count) {
            const serial = `${prefix}${String(next++).padStart(6, '0')}`;
            const created = await identity.createKeysAndCertificate({});
            await identity.registerThing({
              templateName: template,
              certificateOwnershipToken: created.certificateOwnershipToken!,
              parameters: { SerialNumber: serial },
            });
          }
        }),
      );
    };
    // Warm-up (JIT, TLS sessions, the SDK's subscriptions), not measured: the worker gets the same.
    await run(warmupFlows, `BAREW${process.pid}-`);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await run(flows, `BARE${process.pid}-`);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { flowsPerSecond: flows / seconds, cpuMsPerFlow: (cpu.user + cpu.system) / 1000 / flows };
  } finally {
    for (const { client, identity } of clients) {
      identity.close();
      const stopped = once(client, mqtt5.Mqtt5Client.STOPPED);
      client.stop();
      await stopped;
      client.close();
    }
  }
}
