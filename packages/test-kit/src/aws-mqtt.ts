import { once } from 'node:events';
import { iot, mqtt5 } from 'aws-crt';

export type MtlsEndpoint = { host: string; port: number; caPem: string };

export type SdkMqtt5Connection = {
  client: mqtt5.Mqtt5Client;
  /** Stops the client (DISCONNECT) and frees its native resources. */
  close(): Promise<void>;
};

/**
 * One MQTT5 connection with aws-iot-device-sdk-v2's CRT client over mTLS, as devices and the claim
 * client make it; resolves once connected, rejects with the CONNACK's failure (and frees the client).
 */
export async function connectSdkMqtt5(
  endpoint: MtlsEndpoint,
  credentials: { certificatePem: string; privateKeyPem: string },
  clientId: string,
): Promise<SdkMqtt5Connection> {
  const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
    endpoint.host,
    credentials.certificatePem,
    credentials.privateKeyPem,
  );
  builder.withPort(endpoint.port);
  builder.withCertificateAuthority(endpoint.caPem);
  builder.withConnectProperties({ clientId, keepAliveIntervalSeconds: 60 });
  const client = new mqtt5.Mqtt5Client(builder.build());
  const stop = async () => {
    const stopped = once(client, mqtt5.Mqtt5Client.STOPPED);
    client.stop();
    await stopped;
    client.close();
  };
  const connected = once(client, mqtt5.Mqtt5Client.CONNECTION_SUCCESS);
  const failed = once(client, mqtt5.Mqtt5Client.CONNECTION_FAILURE).then(([event]) => {
    throw new Error(`mqtt5 connection failed: ${String((event as { error?: unknown }).error)}`);
  });
  client.start();
  try {
    await Promise.race([connected, failed]);
  } catch (error) {
    await stop();
    throw error;
  }
  failed.catch(() => undefined);
  return { client, close: stop };
}
