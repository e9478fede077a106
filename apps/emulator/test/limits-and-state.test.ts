import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { ManualClock, waitFor } from '@claimline/test-kit';
import {
  adminJson,
  claimCredentials,
  closed,
  connectFailure,
  connectMqttJs,
  endClient,
  provision,
  request,
  startTestEmulator,
  type TestEmulator,
} from './helpers.js';

describe('quotas', () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({
      quotas: {
        createKeysAndCertificatePerSecond: 5,
        connectPerClientIdPerSecond: 1,
        publishPerConnectionPerSecond: 10,
      },
    });
  });
  afterAll(async () => {
    await emulator.cleanup();
  });

  it('a burst over the CreateKeysAndCertificate limit gets 429 ThrottlingException', async () => {
    const claim = await claimCredentials(emulator);
    const pool = await Promise.all(Array.from({ length: 16 }, () => connectMqttJs(emulator, claim)));
    const answers = await Promise.all(pool.map((c) => request(c, '$aws/certificates/create/json', {})));
    const throttled = answers.filter((a) => a.outcome === 'rejected');
    expect(answers.filter((a) => a.outcome === 'accepted').length).toBeGreaterThanOrEqual(5);
    expect(throttled.length).toBeGreaterThanOrEqual(5);
    expect(throttled[0]!.body).toMatchObject({ statusCode: 429, errorCode: 'ThrottlingException' });
    await Promise.all(pool.map(endClient));
  });

  it('publishes over the per-connection quota are dropped', async () => {
    emulator.setQuotas({ createKeysAndCertificatePerSecond: 5 }); // fresh buckets after the burst above
    const claimClient = await connectMqttJs(emulator, await claimCredentials(emulator));
    const { created, registered } = await provision(claimClient, 'claimline-default', {
      SerialNumber: 'PUB-1',
    });
    expect(registered.outcome).toBe('accepted');
    await endClient(claimClient);
    const creds = { cert: created.certificatePem!, key: created.privateKey! };
    // One connection listening to its own topics: the policy lets the certificate connect only as its
    // thing name.
    const device = await connectMqttJs(emulator, creds, { clientId: 'cl-PUB-1' });
    await device.subscribeAsync('claimline/cl-PUB-1/#', { qos: 0 });
    let received = 0;
    let markerArrived = false;
    device.on('message', (_topic, payload: Buffer) =>
      payload.toString() === 'end' ? (markerArrived = true) : (received += 1),
    );
    for (let i = 0; i < 30; i++) device.publish('claimline/cl-PUB-1/burst', String(i), { qos: 0 });
    // A marker sent after the burst (again until the refilled bucket lets one through): the broker
    // delivers one connection's messages in order, so once it is here every burst message that was
    // let through is here too.
    await waitFor(
      'a marker published after the burst',
      () => markerArrived || void device.publish('claimline/cl-PUB-1/burst', 'end', { qos: 0 }),
      { timeoutMs: 5_000, intervalMs: 150 },
    );
    expect(received).toBeGreaterThanOrEqual(10);
    expect(received).toBeLessThan(20);
    await endClient(device);
  });

  it('two CONNECTs with one client id within a second: the second is refused; the admin API can switch quotas off', async () => {
    const claim = await claimCredentials(emulator);
    const first = await connectMqttJs(emulator, claim, { clientId: 'rate-1' });
    const refused = await connectFailure(emulator, claim, { clientId: 'rate-1' });
    expect(refused.message).toMatch(/unavailable/i);
    expect(first.connected).toBe(true);
    const put = await adminJson(emulator, '/quotas', { method: 'POST', body: JSON.stringify('off') });
    expect(put).toMatchObject({ status: 200, body: { connectPerClientIdPerSecond: 0 } });
    const again = await connectMqttJs(emulator, claim, { clientId: 'rate-1' });
    await Promise.all([endClient(first), endClient(again)]);
    expect(
      (await adminJson(emulator, '/quotas', { method: 'POST', body: JSON.stringify({ nope: 1 }) })).status,
    ).toBe(400);
  });
});

describe('faults', () => {
  let emulator: TestEmulator;
  let client: MqttClient;
  beforeAll(async () => {
    emulator = await startTestEmulator({ faults: { errorRate: 1 } });
    client = await connectMqttJs(emulator, await claimCredentials(emulator));
  });
  afterAll(async () => {
    await endClient(client);
    await emulator.cleanup();
  });

  it('errorRate 1 → 500 InternalFailure (from options)', async () => {
    expect((await request(client, '$aws/certificates/create/json', {})).body).toMatchObject({
      statusCode: 500,
      errorCode: 'InternalFailure',
    });
  });

  it('throttleRate per operation → 429 only for that operation (admin API)', async () => {
    const put = await adminJson(emulator, '/faults', {
      method: 'POST',
      body: JSON.stringify({ operations: { RegisterThing: { throttleRate: 1 } } }),
    });
    expect(put.status).toBe(200);
    const { created, registered } = await provision(client, 'claimline-default', { SerialNumber: 'F-1' });
    expect(created.certificateId).toBeDefined();
    expect(registered.body).toMatchObject({ statusCode: 429, errorCode: 'ThrottlingException' });
  });

  it('dropRate 1 → no answer; delayMs delays', async () => {
    emulator.setFaults({ dropRate: 1 });
    await expect(request(client, '$aws/certificates/create/json', {}, 'json', 400)).rejects.toThrow(
      /no answer/,
    );
    emulator.setFaults({ delayMs: 300 });
    const started = Date.now();
    expect((await request(client, '$aws/certificates/create/json', {})).outcome).toBe('accepted');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // The emulator timed that answer from the request's arrival, the injected delay included.
    const timings = (await adminJson(emulator, '/timings')).body as Record<string, number[]>;
    expect(timings.CreateKeysAndCertificate!.at(-1)).toBeGreaterThanOrEqual(290);
    expect(emulator.registry.timings()).toEqual(timings);
  });

  it('disconnectAfterRequestRate 1 → the connection closes', async () => {
    emulator.setFaults({ disconnectAfterRequestRate: 1 });
    const other = await connectMqttJs(emulator, await claimCredentials(emulator));
    const wasClosed = closed(other);
    other.publish('$aws/certificates/create/json', '{}');
    await wasClosed;
    await endClient(other);
  });

  it('the same seed gives the same sequence of faults', async () => {
    const outcomes = async () => {
      emulator.setFaults({ errorRate: 0.5, seed: 42 });
      const list: string[] = [];
      for (let i = 0; i < 8; i++)
        list.push((await request(client, '$aws/certificates/create/json', {})).outcome);
      return list;
    };
    const first = await outcomes();
    expect(first).toContain('accepted');
    expect(first).toContain('rejected');
    expect(await outcomes()).toEqual(first);
    emulator.setFaults({});
  });
});

describe('state', () => {
  it('tokens expire after tokenTtlSeconds and their unregistered certificates are deleted', async () => {
    const clock = new ManualClock();
    const emulator = await startTestEmulator({ tokenTtlSeconds: 1, clock: clock.now });
    const client = await connectMqttJs(emulator, await claimCredentials(emulator));
    try {
      const created = await request(client, '$aws/certificates/create/json', {});
      clock.advance(1_001);
      const late = await request(client, '$aws/provisioning-templates/claimline-default/provision/json', {
        certificateOwnershipToken: created.body.certificateOwnershipToken,
        parameters: { SerialNumber: 'LATE' },
      });
      expect(late.body).toMatchObject({ statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken' });
      // The sweep (every second, on the emulator's clock) deletes the unregistered certificate.
      await waitFor(
        'the certificate of the expired token to be deleted',
        () => !emulator.registry.certificates().some((c) => c.certificateId === created.body.certificateId),
        { timeoutMs: 5_000 },
      );
    } finally {
      await endClient(client);
      await emulator.cleanup();
    }
  });

  it('a restart keeps the PKI, the registry, counters and pending tokens; the admin API shows them', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'claimline-emulator-restart-'));
    try {
      const first = await startTestEmulator({}, stateDir);
      const claimPem = await readFile(first.files.claimCertPath, 'utf8');
      const client = await connectMqttJs(first, await claimCredentials(first));
      const { created } = await provision(client, 'claimline-default', { SerialNumber: 'KEEP-1' });
      const pending = await request(client, '$aws/certificates/create/json', {});
      await endClient(client);
      await first.stop();

      const second = await startTestEmulator({}, stateDir);
      try {
        expect(await readFile(second.files.claimCertPath, 'utf8')).toBe(claimPem);
        expect((await adminJson(second, '/things/cl-KEEP-1')).body).toMatchObject({
          thingName: 'cl-KEEP-1',
          certificateIds: [created.certificateId],
        });
        expect((await adminJson(second, `/certificates/${created.certificateId}`)).body).toMatchObject({
          status: 'ACTIVE',
        });
        expect((await adminJson(second, '/things/nope')).status).toBe(404);
        expect((await adminJson(second, '/healthz')).body).toEqual({ status: 'ok' });
        const counters = (await adminJson(second, '/counters')).body as { counts: Record<string, number> }[];
        const total = counters.reduce((sum, c) => sum + (c.counts.CreateKeysAndCertificate ?? 0), 0);
        expect(total).toBe(2);
        const registry = await readFile(join(stateDir, 'registry.json'), 'utf8');
        expect(registry).not.toContain('PRIVATE KEY');

        const device = await connectMqttJs(
          second,
          { cert: created.certificatePem!, key: created.privateKey! },
          { clientId: 'cl-KEEP-1' },
        );
        await endClient(device);
        const again = await connectMqttJs(second, await claimCredentials(second));
        const registered = await request(
          again,
          '$aws/provisioning-templates/claimline-default/provision/json',
          {
            certificateOwnershipToken: pending.body.certificateOwnershipToken,
            parameters: { SerialNumber: 'KEEP-2' },
          },
        );
        expect(registered.outcome).toBe('accepted');
        await endClient(again);
      } finally {
        await second.stop();
        await second.stop();
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
