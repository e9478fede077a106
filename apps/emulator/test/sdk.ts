import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { iot, mqtt, mqtt5 } from 'aws-crt';
import { iotidentity } from 'aws-iot-device-sdk-v2';
import type { RunningEmulator } from '../src/index.js';
import { uniqueClientId } from './helpers.js';

export type SdkConnection = {
  identity: iotidentity.IotIdentityClientv2;
  close(): Promise<void>;
};

const RR_OPTIONS = {
  maxRequestResponseSubscriptions: 4,
  maxStreamingSubscriptions: 2,
  operationTimeoutInSeconds: 10,
};

/** An SDK MQTT5 client with one IotIdentityClientv2 on it; close() stops it and frees native resources. */
export async function connectSdkMqtt5(
  emulator: RunningEmulator,
  cert: string,
  key: string,
  clientId = uniqueClientId('sdk5'),
) {
  const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
    emulator.host,
    cert,
    key,
  );
  builder.withPort(emulator.port);
  builder.withCertificateAuthority(await readFile(emulator.files.caPath, 'utf8'));
  builder.withConnectProperties({ clientId, keepAliveIntervalSeconds: 60 });
  const client = new mqtt5.Mqtt5Client(builder.build());
  const connected = once(client, mqtt5.Mqtt5Client.CONNECTION_SUCCESS);
  const failed = once(client, mqtt5.Mqtt5Client.CONNECTION_FAILURE).then(([event]) => {
    throw new Error(`mqtt5 connection failed: ${String((event as { error?: unknown }).error)}`);
  });
  client.start();
  try {
    await Promise.race([connected, failed]);
  } catch (error) {
    const stopped = once(client, mqtt5.Mqtt5Client.STOPPED);
    client.stop();
    await stopped;
    client.close();
    throw error;
  }
  failed.catch(() => undefined);
  const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(client, RR_OPTIONS);
  return {
    client,
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

/** An SDK MQTT 3.1.1 connection with one IotIdentityClientv2 on it. */
export async function connectSdkMqtt311(
  emulator: RunningEmulator,
  cert: string,
  key: string,
  clientId = uniqueClientId('sdk3'),
) {
  const builder = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(cert, key);
  builder.with_endpoint(emulator.host);
  builder.with_port(emulator.port);
  builder.with_certificate_authority(await readFile(emulator.files.caPath, 'utf8'));
  builder.with_client_id(clientId);
  builder.with_clean_session(true);
  builder.with_keep_alive_seconds(60);
  const connection = new mqtt.MqttClient().new_connection(builder.build());
  await connection.connect();
  const identity = iotidentity.IotIdentityClientv2.newFromMqtt311(connection, RR_OPTIONS);
  return {
    connection,
    identity,
    close: async () => {
      identity.close();
      await connection.disconnect();
    },
  };
}
