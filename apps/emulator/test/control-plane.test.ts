import {
  AttachThingPrincipalCommand,
  DeleteCertificateCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  ListCertificatesCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
  paginateListCertificates,
  paginateListPrincipalThings,
  type CertificateStatus,
} from '@aws-sdk/client-iot';
import { ARN, controlPlaneFixture, provisionUnit, refusal } from './control-plane-client.js';
import { adminJson } from './helpers.js';

const cp = controlPlaneFixture();
const provisioned = (serial: string) => provisionUnit(cp.claim, serial);
const setStatus = (certificateId: string, newStatus: CertificateStatus) =>
  cp.iot.send(new UpdateCertificateCommand({ certificateId, newStatus }));

describe('certificates', () => {
  it('DescribeCertificate returns the registry record with epoch-second dates', async () => {
    const unit = await provisioned('CP-DESCRIBE');
    const { certificateDescription: d } = await cp.iot.send(
      new DescribeCertificateCommand({ certificateId: unit.certificateId }),
    );
    const record = cp.emulator.registry.certificates().find((c) => c.certificateId === unit.certificateId)!;
    expect(d).toMatchObject({
      certificateArn: unit.certificateArn,
      certificateId: unit.certificateId,
      status: 'ACTIVE',
      certificatePem: record.certificatePem,
      ownedBy: '123456789012',
      certificateMode: 'DEFAULT',
    });
    expect(d!.creationDate!.toISOString()).toBe(record.createdAt);
    expect(d!.validity!.notAfter!.getTime()).toBeGreaterThan(Date.now());
  });

  it('DescribeCertificate refuses an unknown (404) and a malformed (400) id', async () => {
    expect(
      await refusal(cp.iot.send(new DescribeCertificateCommand({ certificateId: 'a'.repeat(64) }))),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(
      await refusal(cp.iot.send(new DescribeCertificateCommand({ certificateId: 'xyz' }))),
    ).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
  });

  it('ListCertificates pages through every certificate, newest first unless isAscendingOrder', async () => {
    await provisioned('CP-LIST-1');
    await provisioned('CP-LIST-2');
    const pages = [];
    for await (const page of paginateListCertificates({ client: cp.iot, pageSize: 1 }, {})) pages.push(page);
    const listed = pages.flatMap((page) => page.certificates ?? []);
    const registry = cp.emulator.registry.certificates();
    expect(pages.length).toBe(registry.length);
    expect(new Set(listed.map((c) => c.certificateId))).toEqual(
      new Set(registry.map((c) => c.certificateId)),
    );
    const dates = listed.map((c) => c.creationDate!.getTime());
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    const ascending = [];
    for await (const page of paginateListCertificates(
      { client: cp.iot, pageSize: 2 },
      { ascendingOrder: true },
    ))
      ascending.push(...(page.certificates ?? []));
    expect(ascending.map((c) => c.certificateId)).toEqual(listed.map((c) => c.certificateId).reverse());
    expect(listed[0]).toEqual({
      certificateArn: `${ARN}:cert/${listed[0]!.certificateId}`,
      certificateId: listed[0]!.certificateId,
      status: expect.any(String),
      certificateMode: 'DEFAULT',
      creationDate: expect.any(Date),
    });
  });

  it('ListCertificates refuses a page size outside 1..250 and a marker that is not base64 (400)', async () => {
    for (const input of [{ pageSize: 0 }, { pageSize: 251 }, { marker: 'not a marker!' }])
      expect(await refusal(cp.iot.send(new ListCertificatesCommand(input)))).toMatchObject({
        name: 'InvalidRequestException',
        status: 400,
      });
  });

  it('UpdateCertificate changes the status; REVOKED is final; PENDING_* cannot be set', async () => {
    const { certificateId } = await provisioned('CP-UPDATE');
    await setStatus(certificateId, 'INACTIVE');
    await setStatus(certificateId, 'ACTIVE');
    await setStatus(certificateId, 'REVOKED');
    const status = async () =>
      (await cp.iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription!.status;
    expect(await status()).toBe('REVOKED');
    expect(await refusal(setStatus(certificateId, 'ACTIVE'))).toMatchObject({
      name: 'CertificateStateException',
      status: 406,
    });
    expect(await refusal(setStatus(certificateId, 'PENDING_TRANSFER'))).toMatchObject({
      name: 'CertificateStateException',
    });
    expect(await refusal(setStatus(certificateId, 'SUSPENDED' as CertificateStatus))).toMatchObject({
      name: 'InvalidRequestException',
    });
    expect(await refusal(setStatus('b'.repeat(64), 'INACTIVE'))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('DeleteCertificate refuses ACTIVE (406), attached to a thing (409), policies attached (409)', async () => {
    const unit = await provisioned('CP-DELETE');
    const del = (forceDelete?: boolean) =>
      cp.iot.send(new DeleteCertificateCommand({ certificateId: unit.certificateId, forceDelete }));
    expect(await refusal(del())).toEqual({
      name: 'CertificateStateException',
      status: 406,
      message: `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${unit.certificateId}`,
    });
    await setStatus(unit.certificateId, 'INACTIVE');
    expect(await refusal(del(true))).toEqual({
      name: 'DeleteConflictException',
      status: 409,
      message: `Things must be detached before deletion (arn: ${unit.certificateArn})`,
    });
    await cp.iot.send(
      new DetachThingPrincipalCommand({ thingName: unit.thingName, principal: unit.certificateArn }),
    );
    expect(await refusal(del())).toEqual({
      name: 'DeleteConflictException',
      status: 409,
      message: `Certificate policies must be detached before deletion (arn: ${unit.certificateArn})`,
    });
    await cp.iot.send(
      new DetachPolicyCommand({ policyName: 'claimline-device', target: unit.certificateArn }),
    );
    await del();
    expect(cp.emulator.registry.certificates().some((c) => c.certificateId === unit.certificateId)).toBe(
      false,
    );
    expect(await refusal(del())).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
  });

  it('DeleteCertificate with forceDelete skips only the policy check', async () => {
    const unit = await provisioned('CP-FORCE');
    await setStatus(unit.certificateId, 'REVOKED');
    await cp.iot.send(
      new DetachThingPrincipalCommand({ thingName: unit.thingName, principal: unit.certificateArn }),
    );
    await cp.iot.send(new DeleteCertificateCommand({ certificateId: unit.certificateId, forceDelete: true }));
    expect(
      await refusal(cp.iot.send(new DescribeCertificateCommand({ certificateId: unit.certificateId }))),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('things and principals', () => {
  it('DescribeThing, ListThingPrincipals, ListPrincipalThings show the provisioned unit', async () => {
    const unit = await provisioned('CP-THING');
    expect(await cp.iot.send(new DescribeThingCommand({ thingName: unit.thingName }))).toMatchObject({
      thingName: unit.thingName,
      thingArn: `${ARN}:thing/${unit.thingName}`,
      defaultClientId: unit.thingName,
      thingId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      attributes: { serial: 'CP-THING', model: 'cl-1' },
      version: 1,
    });
    expect(
      (await cp.iot.send(new ListThingPrincipalsCommand({ thingName: unit.thingName }))).principals,
    ).toEqual([unit.certificateArn]);
    expect(
      (await cp.iot.send(new ListPrincipalThingsCommand({ principal: unit.certificateArn }))).things,
    ).toEqual([unit.thingName]);
    expect(
      await refusal(cp.iot.send(new DescribeThingCommand({ thingName: 'no-such-thing' }))),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
  });

  it('each request is logged at its arrival per operation (GET /arrivals), refused ones included', async () => {
    const before = Date.now();
    const listed = (thingName: string) => cp.iot.send(new ListThingPrincipalsCommand({ thingName }));
    const counted = () => cp.emulator.registry.arrivals().ListThingPrincipals?.length ?? 0;
    const already = counted();
    // Three refusals (no such thing): counted all the same, as AWS counts them against the quota.
    await Promise.all(['gone-1', 'gone-2', 'gone-3'].map((name) => listed(name).catch(() => undefined)));
    const arrivals = cp.emulator.registry.arrivals().ListThingPrincipals!;
    expect(counted() - already).toBe(3);
    for (const at of arrivals.slice(-3)) {
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(Date.now());
    }
    expect((await adminJson(cp.emulator, '/arrivals')).body).toEqual(cp.emulator.registry.arrivals());
  });

  it('AttachThingPrincipal attaches to a second thing (paged listing); EXCLUSIVE_THING and unknowns refused', async () => {
    const a = await provisioned('CP-ATTACH-A');
    const b = await provisioned('CP-ATTACH-B');
    await cp.iot.send(
      new AttachThingPrincipalCommand({ thingName: b.thingName, principal: a.certificateArn }),
    );
    const things: string[] = [];
    let pages = 0;
    for await (const page of paginateListPrincipalThings(
      { client: cp.iot, pageSize: 1 },
      { principal: a.certificateArn },
    )) {
      pages += 1;
      things.push(...(page.things ?? []));
    }
    expect({ pages, things }).toEqual({ pages: 2, things: [a.thingName, b.thingName] });
    const exclusive = new AttachThingPrincipalCommand({
      thingName: b.thingName,
      principal: b.certificateArn,
      thingPrincipalType: 'EXCLUSIVE_THING',
    });
    await cp.iot.send(exclusive); // b's certificate is attached to b only
    expect(
      await refusal(
        cp.iot.send(
          new AttachThingPrincipalCommand({
            thingName: a.thingName,
            principal: b.certificateArn,
            thingPrincipalType: 'EXCLUSIVE_THING',
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    const missingThing = new AttachThingPrincipalCommand({
      thingName: 'nothing-here',
      principal: a.certificateArn,
    });
    expect(await refusal(cp.iot.send(missingThing))).toMatchObject({ name: 'ResourceNotFoundException' });
    const missingCert = new AttachThingPrincipalCommand({
      thingName: a.thingName,
      principal: `${ARN}:cert/${'c'.repeat(64)}`,
    });
    expect(await refusal(cp.iot.send(missingCert))).toMatchObject({ name: 'ResourceNotFoundException' });
    await cp.iot.send(
      new DetachThingPrincipalCommand({ thingName: b.thingName, principal: a.certificateArn }),
    );
    expect(
      (await cp.iot.send(new ListPrincipalThingsCommand({ principal: a.certificateArn }))).things,
    ).toEqual([a.thingName]);
  });

  it('DeleteThing: principals attached → 400, wrong expectedVersion → 409, unknown thing → 200', async () => {
    const unit = await provisioned('CP-DELTHING');
    expect(await refusal(cp.iot.send(new DeleteThingCommand({ thingName: unit.thingName })))).toEqual({
      name: 'InvalidRequestException',
      status: 400,
      message: `Cannot delete. Thing ${unit.thingName} is still attached to one or more principals`,
    });
    await cp.iot.send(
      new DetachThingPrincipalCommand({ thingName: unit.thingName, principal: unit.certificateArn }),
    );
    expect(
      await refusal(cp.iot.send(new DeleteThingCommand({ thingName: unit.thingName, expectedVersion: 7 }))),
    ).toMatchObject({ name: 'VersionConflictException', status: 409 });
    await cp.iot.send(new DeleteThingCommand({ thingName: unit.thingName, expectedVersion: 1 }));
    expect(cp.emulator.registry.things().some((t) => t.thingName === unit.thingName)).toBe(false);
    await cp.iot.send(new DeleteThingCommand({ thingName: unit.thingName }));
  });
});
