import { iot, mqtt5 } from 'aws-crt';
import type { Logger } from '@claimline/logger';
import { stopClient } from './stop-client.js';

export type ConnectProbeOptions = {
  host: string;
  port: number;
  /** PEM of the CA that signed the endpoint's certificate. */
  caPath: string;
  /** The device's own credentials, in memory: they never touch the disk here. */
  certificatePem: string;
  privateKeyPem: string;
  /** The thing name: device policies commonly allow only `${iot:Connection.Thing.ThingName}`. */
  clientId: string;
  timeoutMs: number;
  logger: Logger;
};

/**
 * `connected`: the endpoint accepted the certificate and the policy let this client id connect.
 * Anything else says nothing for certain (not registered yet, policy, throttled at AWS's 1 CONNECT/s
 * per client id, a network hiccup): the caller treats it as unknown, never as "not registered".
 */
export type ConnectProbeResult =
  | { outcome: 'connected' }
  | { outcome: 'refused'; reason: string; reasonCode?: number }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'timeout'; reason: string };

/**
 * One MQTT CONNECT with a device's certificate and key, then a clean DISCONNECT: the one-way test
 * that a certificate is registered and usable, for when the answer to RegisterThing was lost and no
 * control-plane access can ask AWS directly. Exactly one CONNECT: the client's own retries are
 * stopped at the first failure.
 */
export async function probeDeviceConnect(options: ConnectProbeOptions): Promise<ConnectProbeResult> {
  const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
    options.host,
    options.certificatePem,
    options.privateKeyPem,
  );
  builder.withPort(options.port);
  builder.withCertificateAuthorityFromPath(undefined, options.caPath);
  builder.withConnectProperties({ clientId: options.clientId, keepAliveIntervalSeconds: 60 });
  builder.withSessionBehavior(mqtt5.ClientSessionBehavior.Clean);
  builder.withConnackTimeoutMs(options.timeoutMs);
  builder.withMinReconnectDelayMs(60_000);
  builder.withMaxReconnectDelayMs(60_000);
  let client: mqtt5.Mqtt5Client;
  try {
    client = new mqtt5.Mqtt5Client(builder.build());
  } catch (error) {
    return { outcome: 'failed', reason: `client could not be created: ${String(error)}` };
  }
  const result = await new Promise<ConnectProbeResult>((resolve) => {
    const timer = setTimeout(
      () => resolve({ outcome: 'timeout', reason: `no CONNACK within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const settle = (value: ConnectProbeResult) => {
      clearTimeout(timer);
      resolve(value);
    };
    client.once('connectionSuccess', () => settle({ outcome: 'connected' }));
    client.once('connectionFailure', (event: mqtt5.ConnectionFailureEvent) => {
      const reasonCode = event.connack?.reasonCode;
      if (reasonCode !== undefined && reasonCode >= 0x80)
        settle({ outcome: 'refused', reason: `CONNACK reason ${reasonCode}`, reasonCode });
      else settle({ outcome: 'failed', reason: String(event.error) });
    });
    client.on('error', (error) => options.logger.debug({ err: error }, 'connect probe client error'));
    client.start();
  });
  await stopClient(client, options.logger);
  return result;
}
