import { readFile } from 'node:fs/promises';
import { iot, mqtt } from 'aws-crt';
import { connectSdkMqtt5 as connectMqtt5 } from '@claimline/test-kit';
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
  const endpoint = {
    host: emulator.host,
    port: emulator.port,
    caPem: await readFile(emulator.files.caPath, 'utf8'),
  };
  const connection = await connectMqtt5(endpoint, { certificatePem: cert, privateKeyPem: key }, clientId);
  const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(connection.client, RR_OPTIONS);
  return {
    client: connection.client,
    identity,
    close: async () => {
      identity.close();
      await connection.close();
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
