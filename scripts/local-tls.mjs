// A local CA and a certificate for the API on 127.0.0.1/localhost, made once with openssl under
// <state dir>/tls, so that the local start and `pnpm demo` speak HTTPS by default (issue 13). The CA key
// stays in that directory (0700); nothing here is for production, where the API gets a real
// certificate (API_TLS_CERT_PATH/API_TLS_KEY_PATH) or sits behind a TLS proxy (API_TRUST_PROXY).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function localTlsPaths(stateDir) {
  const dir = path.join(stateDir, 'tls');
  return {
    dir,
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'api.pem'),
    key: path.join(dir, 'api.key'),
  };
}

export function ensureLocalTls(stateDir) {
  const paths = localTlsPaths(stateDir);
  if (fs.existsSync(paths.cert) && fs.existsSync(paths.key) && fs.existsSync(paths.ca)) return paths;
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const f = (name) => path.join(paths.dir, name);
  const run = (args) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-subj',
    '/CN=claimline local CA',
    '-days',
    '825',
    '-keyout',
    f('ca.key'),
    '-out',
    paths.ca,
  ]);
  run(['req', ...ec, '-subj', '/CN=localhost', '-keyout', paths.key, '-out', f('api.csr')]);
  fs.writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'x509',
    '-req',
    '-in',
    f('api.csr'),
    '-CA',
    paths.ca,
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '825',
    '-extfile',
    f('san.ext'),
    '-out',
    paths.cert,
  ]);
  fs.chmodSync(paths.key, 0o600);
  fs.chmodSync(f('ca.key'), 0o600);
  return paths;
}
