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
  /** CAs named in the TLS CertificateRequest; a hint to clients only, never a reason to refuse. */
  clientCaPems: string[];
  /** Server certificate and the intermediate that signed it. */
  certChainPem: string;
  keyPem: string;
  claimCertificateId: string;
  broker: Broker;
  logger: Logger;
};

/**
 * MQTT over mutual TLS, as AWS IoT Core serves it on 8883 (ALPN `x-amzn-mqtt-ca` accepted too). A client
 * certificate is requested but not judged by its chain: as at AWS, the registry decides at CONNECT
 * (Broker.admit) whether the certificate presented is the claim certificate or a registered ACTIVE one.
 */
export async function startTlsServer(
  options: TlsServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    {
      key: options.keyPem,
      cert: options.certChainPem,
      ca: options.clientCaPems,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['x-amzn-mqtt-ca', 'mqtt'],
    },
    (socket) => {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      if (!raw) {
        // AWS IoT's 8883 is mutual TLS only: no client certificate, no connection.
        options.logger.debug('TLS client sent no certificate');
        socket.destroy();
        return;
      }
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const certificateId = certificateIdOf(raw);
      const identity: Identity =
        certificateId === options.claimCertificateId
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
