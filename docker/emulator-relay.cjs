// Emulator only (docker/compose.yaml): the emulator's server certificate names only localhost and
// 127.0.0.1 (apps/emulator/src/pki/certificate-authority.ts), so a worker that dials the compose
// service name `emulator` fails TLS host verification. This process, started beside the worker in
// the same container, relays 127.0.0.1:<port> to CLAIMLINE_EMULATOR_RELAY (host:port) byte for
// byte: TLS still runs end to end between the worker and the emulator, and the host name the
// worker verifies is 127.0.0.1. It is a separate process on purpose: inside the worker's own event
// loop it can stall the SDK's connects. Exits at once when CLAIMLINE_EMULATOR_RELAY is unset.
// Never needed against AWS IoT Core.
'use strict';
const net = require('node:net');

const target = process.env.CLAIMLINE_EMULATOR_RELAY;
if (!target) {
  process.exit(0);
} else {
  const match = /^(.+):(\d+)$/.exec(target);
  if (!match) throw new Error(`CLAIMLINE_EMULATOR_RELAY must be host:port (got ${target})`);
  const host = match[1];
  const port = Number(match[2]);
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  server.on('error', (error) => {
    console.error(`emulator relay: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1');
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
}
