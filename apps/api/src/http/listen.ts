import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { ApiConfig } from '@claimline/config';
import { ConfigError } from '@claimline/config';
import type { Express } from 'express';

/**
 * HTTPS when API_TLS_CERT_PATH and API_TLS_KEY_PATH are set (read once, at start: a bad file stops the
 * start), plain HTTP otherwise (for a TLS proxy in front, with API_TRUST_PROXY set).
 */
export function createServer(
  app: Express,
  config: ApiConfig,
): { server: http.Server; scheme: 'https' | 'http' } {
  const { API_TLS_CERT_PATH: cert, API_TLS_KEY_PATH: key } = config;
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError('api', [
      {
        variable: cert ? 'API_TLS_KEY_PATH' : 'API_TLS_CERT_PATH',
        problem: 'is required with the other TLS file',
      },
    ]);
  }
  if (!cert || !key) return { server: http.createServer(app), scheme: 'http' };
  const server = https.createServer(
    { cert: fs.readFileSync(cert), key: fs.readFileSync(key), minVersion: 'TLSv1.2' },
    app,
  );
  return { server, scheme: 'https' };
}
