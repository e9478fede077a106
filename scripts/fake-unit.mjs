#!/usr/bin/env node
// A stand-in for a unit whose secure element makes its own key (device-csr batches, issue 14). Each unit
// keeps its P-256 key in "<dir>/<serial>/key.pem" and never prints it: only its CSR leaves.
//
//   fake-unit.mjs csr   <dir> <serial>                                    prints the unit's CSR (PEM)
//   fake-unit.mjs write <dir> <serial> <cert> <ca> <endpoint> <thingName>  stores what the station gives it
//   fake-unit.mjs prove <dir> <serial>                                    exit 0 if its certificate is its key's
//
// FAKE_UNIT_SHA1=<serial> makes that unit sign its CSR with SHA-1 (AWS IoT refuses such a CSR).
// FAKE_UNIT_WRITE_FAIL=<serial> makes the write fail with exit code 3.
// No dependencies: the PKCS#10 request is encoded here (DER), signed with node:crypto.
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [command, dir, serial, ...rest] = process.argv.slice(2);
if (!command || !dir || !serial) {
  console.error('usage: fake-unit.mjs csr|write|prove <dir> <serial> [...]');
  process.exit(2);
}
const unitDir = path.join(dir, serial);
const keyFile = path.join(unitDir, 'key.pem');

function der(tag, ...parts) {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const OID_CN = Buffer.from('0603550403', 'hex');
const OID_ECDSA_SHA256 = Buffer.from('06082a8648ce3d040302', 'hex');
const OID_ECDSA_SHA1 = Buffer.from('06072a8648ce3d0401', 'hex');

function unitKey() {
  if (!fs.existsSync(keyFile)) {
    fs.mkdirSync(unitDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return createPrivateKey(fs.readFileSync(keyFile));
}

function csr() {
  const key = unitKey();
  const sha1 = process.env.FAKE_UNIT_SHA1 === serial;
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const subject = der(0x30, der(0x31, der(0x30, OID_CN, der(0x0c, Buffer.from(serial, 'utf8')))));
  const info = der(0x30, der(0x02, Buffer.from([0])), subject, spki, Buffer.from([0xa0, 0x00]));
  const signature = sign(sha1 ? 'sha1' : 'sha256', info, { key, dsaEncoding: 'der' });
  const request = der(
    0x30,
    info,
    der(0x30, sha1 ? OID_ECDSA_SHA1 : OID_ECDSA_SHA256),
    der(0x03, Buffer.from([0]), signature),
  );
  const b64 = request.toString('base64').replace(/.{64}/g, '$&\n');
  process.stdout.write(`-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`);
}

function write() {
  const [cert, ca, endpoint, thingName] = rest;
  if (process.env.FAKE_UNIT_WRITE_FAIL === serial) {
    console.error('secure element: write refused');
    process.exit(3);
  }
  fs.mkdirSync(unitDir, { recursive: true, mode: 0o700 });
  fs.copyFileSync(cert, path.join(unitDir, 'certificate.pem'));
  fs.copyFileSync(ca, path.join(unitDir, 'ca.pem'));
  fs.writeFileSync(path.join(unitDir, 'identity.json'), JSON.stringify({ serial, endpoint, thingName }));
  console.log(`unit ${serial}: certificate stored`);
}

/** The certificate carries this unit's public key, and the key signs a fresh challenge the certificate verifies. */
function prove() {
  const key = unitKey();
  const certificate = new X509Certificate(fs.readFileSync(path.join(unitDir, 'certificate.pem')));
  const challenge = randomBytes(32);
  const ok =
    certificate.checkPrivateKey(key) &&
    verify('sha256', challenge, certificate.publicKey, sign('sha256', challenge, key));
  console.log(
    ok ? `unit ${serial}: certificate matches its key` : `unit ${serial}: certificate does NOT match`,
  );
  process.exit(ok ? 0 : 1);
}

const commands = { csr, write, prove };
if (!(command in commands)) {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
commands[command]();
