import { once } from 'node:events';
import * as tls from 'node:tls';
import type { Logger } from '@claimline/logger';
import { certificateIdOf } from '../pki/certificate-id.js';
import type { Broker } from './broker.js';
import { MqttSession } from './mqtt-session.js';
import type { Identity } from './policy.js';

export type TlsServerOptions = {
  host: string;
  port: number;
  caPem: string;
  certPem: string;
  keyPem: string;
  claimCertificateId: string;
  broker: Broker;
  logger: Logger;
};

/** MQTT over mutual TLS, as AWS IoT Core serves it on 8883 (ALPN `x-amzn-mqtt-ca` accepted too). */
export async function startTlsServer(
  options: TlsServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    {
      key: options.keyPem,
      cert: options.certPem,
      ca: options.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['x-amzn-mqtt-ca', 'mqtt'],
    },
    (socket) => {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const raw = socket.getPeerCertificate().raw;
      const certificateId = raw ? certificateIdOf(raw) : undefined;
      const identity: Identity | undefined =
        certificateId === undefined
          ? undefined
          : certificateId === options.claimCertificateId
            ? { kind: 'claim', certificateId }
            : { kind: 'device', certificateId };
      new MqttSession(socket, identity, options.broker, options.logger);
    },
  );
  server.on('tlsClientError', (error) => options.logger.debug({ err: error }, 'TLS handshake failed'));
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
