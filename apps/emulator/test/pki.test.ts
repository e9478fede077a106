import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { EmulatorPki } from '../src/pki/emulator-pki.js';
import { generateCsr } from './csr.js';
import {
  claimCredentials,
  connectFailure,
  connectMqttJs,
  endClient,
  provision,
  request,
  startTestEmulator,
  type Credentials,
  type TestEmulator,
} from './helpers.js';

const run = promisify(execFile);
const AWS_ISSUER = 'OU=Amazon Web Services O=Amazon.com Inc. L=Seattle ST=Washington C=US';

/** `openssl verify` of `certificatePem` against `caFile` alone: its exit status and output. */
async function opensslVerify(dir: string, caFile: string, certificatePem: string) {
  const certFile = join(dir, `verify-${Date.now()}-${Math.random()}.pem`);
  await writeFile(certFile, certificatePem);
  const result = await run('openssl', ['verify', '-CAfile', caFile, certFile]).then(
    ({ stdout }) => ({ ok: true, output: stdout }),
    (error: { stdout?: string; stderr?: string }) => ({
      ok: false,
      output: `${error.stdout}${error.stderr}`,
    }),
  );
  await rm(certFile);
  return result;
}

/** A self-signed EC certificate made by openssl: `<stem>.pem` and `<stem>.key`. */
async function selfSigned(stem: string, subject: string) {
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    ...args,
    '-subj',
    subject,
    '-days',
    '1',
    '-keyout',
    `${stem}.key`,
    '-out',
    `${stem}.pem`,
  ]);
}

/** A TLS connection as a device makes it (trusting `AmazonRootCA1.pem` alone); resolves once secure. */
async function tlsConnect(emulator: TestEmulator, credentials: Credentials, servername: string) {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: emulator.port,
    servername,
    ca: await readFile(emulator.files.caPath),
    cert: credentials.cert,
    key: credentials.key,
  });
  await once(socket, 'secureConnect');
  return socket;
}

let emulator: TestEmulator;
let claim: Credentials;

beforeAll(async () => {
  emulator = await startTestEmulator({ serverNames: ['localhost', '127.0.0.1', 'emulator.test'] });
  claim = await claimCredentials(emulator);
});

afterAll(async () => {
  await emulator.cleanup();
});

describe('device certificates: a trust path apart from the root', () => {
  it('CreateKeysAndCertificate: AWS issuer and shape; verifies against the device issuer, not the root; connects', async () => {
    const client = await connectMqttJs(emulator, claim);
    const { created } = await provision(client, 'claimline-default', { SerialNumber: 'PKI-1' });
    await endClient(client);
    const certificate = new X509Certificate(created.certificatePem!);
    expect(certificate.issuer).toBe(AWS_ISSUER);
    expect(certificate.subject).toBe('CN=AWS IoT Certificate');
    expect(new Date(certificate.validTo).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(certificate.ca).toBe(false);

    const dumpFile = join(emulator.stateDir, 'device.pem');
    await writeFile(dumpFile, created.certificatePem!);
    const { stdout: dump } = await run('openssl', ['x509', '-noout', '-text', '-in', dumpFile]);
    expect(dump).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(dump).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(dump).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(dump).toMatch(/X509v3 Subject Key Identifier/);
    expect(dump).toMatch(/X509v3 Authority Key Identifier/);

    const againstRoot = await opensslVerify(
      emulator.stateDir,
      emulator.files.caPath,
      created.certificatePem!,
    );
    expect(againstRoot.ok).toBe(false);
    expect(againstRoot.output).toMatch(/unable to get local issuer certificate/);
    const againstIssuer = await opensslVerify(
      emulator.stateDir,
      emulator.files.deviceIssuerCaPath,
      created.certificatePem!,
    );
    expect(againstIssuer).toEqual({ ok: true, output: expect.stringMatching(/: OK\n$/) });

    // Admitted by the registry (ACTIVE), although the client's CA file cannot verify it; as its thing,
    // the one client id its policy (the test template's) lets it connect with.
    const device = await connectMqttJs(
      emulator,
      { cert: created.certificatePem!, key: created.privateKey! },
      { clientId: 'cl-PKI-1' },
    );
    await endClient(device);
  });

  it("CreateCertificateFromCsr keeps the CSR's subject, with AWS's issuer", async () => {
    const subject = 'CN=AWS IoT Certificate, O=Infineon Technologies AG, C=DE, ST=Germany';
    const { csrPem } = await generateCsr('ec', subject);
    const client = await connectMqttJs(emulator, claim);
    const answer = await request(client, '$aws/certificates/create-from-csr/json', {
      certificateSigningRequest: csrPem,
    });
    await endClient(client);
    expect(answer.outcome).toBe('accepted');
    const certificate = new X509Certificate(answer.body.certificatePem as string);
    expect(certificate.subject).toBe(
      ['CN=AWS IoT Certificate', 'O=Infineon Technologies AG', 'C=DE', 'ST=Germany'].join('\n'),
    );
    expect(certificate.issuer).toBe(AWS_ISSUER);
  });

  it('the claim certificate comes from the device issuer too', async () => {
    const claimPem = await readFile(emulator.files.claimCertPath, 'utf8');
    expect(new X509Certificate(claimPem).issuer).toBe(AWS_ISSUER);
    expect((await opensslVerify(emulator.stateDir, emulator.files.caPath, claimPem)).ok).toBe(false);
  });

  it('a certificate the registry does not know is refused at CONNECT, even one the device CA signed', async () => {
    const pki = await EmulatorPki.open(join(emulator.stateDir, 'pki'));
    const signedButUnregistered = await pki.issueWithNewKey('CN=AWS IoT Certificate');
    const unregistered = {
      cert: signedButUnregistered.certificatePem,
      key: signedButUnregistered.privateKeyPem,
    };
    expect((await connectFailure(emulator, unregistered)).message).toMatch(/Not authorized/i);
    expect((await connectFailure(emulator, unregistered, { protocolVersion: 5 })).message).toMatch(
      /Not authorized/i,
    );

    const stranger = join(emulator.stateDir, 'stranger');
    await selfSigned(stranger, '/CN=stranger');
    const strangerCredentials = {
      cert: await readFile(`${stranger}.pem`),
      key: await readFile(`${stranger}.key`),
    };
    expect((await connectFailure(emulator, strangerCredentials)).message).toMatch(/Not authorized/i);
  });
});

describe('the server certificate', () => {
  it('is served with its intermediate and verifies against the root file alone', async () => {
    const socket = await tlsConnect(emulator, claim, 'localhost');
    expect(socket.authorized).toBe(true);
    const leaf = socket.getPeerCertificate(true);
    const root = new X509Certificate(await readFile(emulator.files.caPath));
    expect(leaf.issuer.CN).toBe('claimline emulator Server CA');
    expect(leaf.issuerCertificate.subject.CN).toBe('claimline emulator Server CA');
    expect(leaf.issuerCertificate.issuer.CN).toBe(
      root.subject
        .split('\n')
        .find((l) => l.startsWith('CN='))!
        .slice(3),
    );
    expect(leaf.subjectaltname).toBe('DNS:localhost, IP Address:127.0.0.1, DNS:emulator.test');
    socket.destroy();
    // The root file holds one certificate: the root, not the intermediate.
    const rootFile = await readFile(emulator.files.caPath, 'utf8');
    expect(rootFile.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
  });

  it('names what the configuration names: a configured extra name verifies, another does not', async () => {
    const socket = await tlsConnect(emulator, claim, 'emulator.test');
    expect(socket.authorized).toBe(true);
    socket.destroy();
    await expect(tlsConnect(emulator, claim, 'elsewhere.test')).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });
});

describe('state of an older emulator (one CA for everything)', () => {
  it('is replaced: the old CA files go, a new claim certificate comes from the device issuer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claimline-emulator-old-'));
    const old = join(dir, 'old');
    await selfSigned(old, '/CN=claimline emulator root CA/O=claimline');
    await mkdir(join(dir, 'pki'));
    await mkdir(join(dir, 'client'));
    for (const [from, to] of [
      ['old.pem', 'pki/ca.cert.pem'],
      ['old.key', 'pki/ca.key.pem'],
      ['old.pem', 'pki/server.cert.pem'],
      ['old.key', 'pki/server.key.pem'],
      ['old.pem', 'client/claim.cert.pem'],
      ['old.key', 'client/claim.private.key'],
    ])
      await copyFile(join(dir, from!), join(dir, to!));

    const upgraded = await startTestEmulator({}, dir);
    try {
      expect((await readdir(join(dir, 'pki'))).sort()).toEqual([
        'device-ca.cert.pem',
        'device-ca.key.pem',
        'root-ca.cert.pem',
        'root-ca.key.pem',
        'server-ca.cert.pem',
        'server-ca.key.pem',
      ]);
      const claimPem = await readFile(upgraded.files.claimCertPath, 'utf8');
      expect(new X509Certificate(claimPem).issuer).toBe(AWS_ISSUER);
      const client = await connectMqttJs(upgraded, await claimCredentials(upgraded));
      await endClient(client);
    } finally {
      await upgraded.cleanup();
    }
  });
});
