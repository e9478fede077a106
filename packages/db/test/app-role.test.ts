import { randomBytes, randomUUID } from 'node:crypto';
import {
  APP_GROUP_ROLE,
  AppRoleError,
  createNotificationListener,
  createPrismaClient,
  ensureAppLoginRole,
  migrationStatus,
  scramVerifier,
  type PrismaClient,
} from '@claimline/db';
import { TEST_APP_ROLE, createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import pg from 'pg';

/**
 * The application role (issue 15): what the API and the workers may do in the database when they log
 * in as DATABASE_URL's role, a member of claimline_app. Real PostgreSQL, the migrated test database.
 */

let db: TestDatabase;
let app: pg.Client;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  app = new pg.Client({ connectionString: db.appUrl });
  await app.connect();
  prisma = createPrismaClient(db.appUrl, { maxConnections: 2 });
});

afterAll(async () => {
  await prisma.$disconnect();
  await app.end();
  await db.drop();
});

/** The error a statement fails with as the application role (undefined if it succeeds). */
async function refusal(sql: string): Promise<{ code?: string; message: string } | undefined> {
  try {
    await app.query(sql);
    return undefined;
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    return { code, message };
  }
}

async function someBatchAndDevice(): Promise<{ batchId: string; deviceId: string }> {
  const batch = await prisma.batch.create({
    data: { id: randomUUID(), externalRef: 'role-test', templateName: 't' },
  });
  const device = await prisma.device.create({
    data: { id: randomUUID(), serial: `SN-${randomBytes(4).toString('hex')}`, batchId: batch.id },
  });
  return { batchId: batch.id, deviceId: device.id };
}

describe('the application role', () => {
  it('is the test role, not a superuser, and a member of claimline_app', async () => {
    const { rows } = await app.query<{ me: string; superuser: string; member: boolean }>(
      `SELECT current_user AS me, current_setting('is_superuser') AS superuser,
              pg_has_role(current_user, $1, 'USAGE') AS member`,
      [APP_GROUP_ROLE],
    );
    expect(rows[0]).toEqual({ me: TEST_APP_ROLE, superuser: 'off', member: true });
  });

  it('does the normal flow: rows in, rows read, rows changed, audit appended, idempotency swept', async () => {
    const { batchId, deviceId } = await someBatchAndDevice();
    await prisma.device.update({ where: { id: deviceId }, data: { state: 'CLAIMING', attempts: 1 } });
    await prisma.auditEvent.create({ data: { actor: 'test', action: 'device.read', deviceId, batchId } });
    expect(await prisma.auditEvent.count({ where: { deviceId } })).toBe(1);
    const key = await prisma.apiKey.create({
      data: {
        id: randomUUID(),
        name: 'k',
        prefix: randomBytes(4).toString('hex'),
        secretHash: randomBytes(16).toString('hex'),
        role: 'MES',
      },
    });
    await prisma.idempotencyRecord.create({
      data: { apiKeyId: key.id, key: 'i', requestHash: 'h', responseStatus: 201, responseBody: {} },
    });
    expect(await prisma.idempotencyRecord.deleteMany({ where: { apiKeyId: key.id } })).toEqual({ count: 1 });
    // What the API and the workers use besides rows: advisory locks (idempotency) and row locks.
    await prisma.$transaction(async (tx) => {
      await tx.$queryRawUnsafe(
        'SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS l',
        'k',
      );
      await tx.$queryRawUnsafe('SELECT id FROM device WHERE id = $1::uuid FOR UPDATE', deviceId);
    });
  });

  it('reads the applied migrations (/readyz): none pending', async () => {
    const status = await migrationStatus((sql) => prisma.$queryRawUnsafe(sql));
    expect(status.pending).toEqual([]);
    expect(status.applied.length).toBeGreaterThan(0);
  });

  it('hears the API-key NOTIFY its own key revocation sends (the key cache)', async () => {
    let live!: () => void;
    const listening = new Promise<void>((resolve) => (live = resolve));
    let announced!: (keyId: string) => void;
    const revoked = new Promise<string>((resolve) => (announced = resolve));
    const listener = createNotificationListener({
      url: db.appUrl,
      channel: 'claimline_api_key',
      onLive: live,
      onNotify: (payload) => announced(payload),
    });
    try {
      await listening;
      const key = await prisma.apiKey.create({
        data: {
          id: randomUUID(),
          name: 'revoked',
          prefix: randomBytes(4).toString('hex'),
          secretHash: randomBytes(16).toString('hex'),
          role: 'MES',
        },
      });
      await prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
      expect(await revoked).toBe(key.id);
    } finally {
      await listener.close();
    }
  });

  it.each(['UPDATE audit_event SET actor = actor', 'DELETE FROM audit_event', 'TRUNCATE audit_event'])(
    'may not change audit history, by privilege and not by the trigger: %s',
    async (sql) => {
      const { batchId, deviceId } = await someBatchAndDevice();
      await prisma.auditEvent.create({ data: { actor: 'test', action: 'x', deviceId, batchId } });
      const error = await refusal(sql);
      expect(error?.code).toBe('42501');
      expect(error?.message).toBe('permission denied for table audit_event');
    },
  );

  it('has only SELECT and INSERT on audit_event', async () => {
    const { rows } = await app.query<Record<string, boolean>>(
      `SELECT ${['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']
        .map((p) => `has_table_privilege('audit_event', '${p}') AS "${p}"`)
        .join(', ')}`,
    );
    expect(rows[0]).toEqual({ SELECT: true, INSERT: true, UPDATE: false, DELETE: false, TRUNCATE: false });
  });

  it.each([
    ['create a table', 'CREATE TABLE role_test (id int)', 'permission denied for schema public'],
    ['disable the audit trigger', 'ALTER TABLE audit_event DISABLE TRIGGER USER', 'must be owner of table'],
    ['drop a table', 'DROP TABLE idempotency_record', 'must be owner of table'],
    ['write the migrations table', 'DELETE FROM _prisma_migrations', 'permission denied for table'],
    ['create a role', 'CREATE ROLE role_test', 'permission denied to create role'],
  ])('may not %s', async (_what, sql, message) => {
    const error = await refusal(sql);
    expect(error?.code).toBe('42501');
    expect(error?.message).toContain(message);
  });

  it('reports a refused read of the migrations table as an error, never as "all pending"', async () => {
    const fresh = await createTestDatabase();
    const owner = createPrismaClient(fresh.url, { maxConnections: 1 });
    const asApp = createPrismaClient(fresh.appUrl, { maxConnections: 1 });
    try {
      await fresh.query('REVOKE SELECT ON _prisma_migrations FROM claimline_app');
      await expect(migrationStatus((sql) => asApp.$queryRawUnsafe(sql))).rejects.toThrow(/permission denied/);
      await fresh.query('DROP TABLE _prisma_migrations');
      const status = await migrationStatus((sql) => owner.$queryRawUnsafe(sql));
      expect(status.applied).toEqual([]);
      expect(status.pending.length).toBeGreaterThan(0);
    } finally {
      await asApp.$disconnect();
      await owner.$disconnect();
      await fresh.drop();
    }
  });

  it("gets row access to later migrations' tables (default privileges of the owner)", async () => {
    await db.query('CREATE TABLE later_migration_table (id bigserial PRIMARY KEY, note text)');
    await app.query(`INSERT INTO later_migration_table (note) VALUES ('x')`);
    expect((await app.query('UPDATE later_migration_table SET note = $1', ['y'])).rowCount).toBe(1);
    expect((await app.query('DELETE FROM later_migration_table')).rowCount).toBe(1);
  });
});

describe('ensureAppLoginRole (claimline-migrate deploy)', () => {
  const roles: string[] = [];
  const newRoleName = () => {
    const name = `claimline_test_role_${randomBytes(4).toString('hex')}`;
    roles.push(name);
    return name;
  };
  const withUser = (url: string, user: string, password = '') => {
    const u = new URL(url);
    u.username = user;
    u.password = password;
    return u.toString();
  };

  afterAll(async () => {
    for (const role of roles) await db.query(`DROP ROLE IF EXISTS ${role}`);
  });

  it('creates a missing role as LOGIN, member of claimline_app, with a SCRAM verifier of its password', async () => {
    const role = newRoleName();
    const url = withUser(db.url, role, 'p%40ss-word');
    expect(await ensureAppLoginRole(db.url, url)).toEqual({ role, action: 'created' });
    const rows = await db.query<{
      rolcanlogin: boolean;
      rolsuper: boolean;
      rolpassword: string;
      member: boolean;
    }>(
      `SELECT rolcanlogin, rolsuper, rolpassword, pg_has_role(rolname, $2, 'USAGE') AS member
         FROM pg_authid WHERE rolname = $1`,
      [role, APP_GROUP_ROLE],
    );
    expect(rows[0]).toMatchObject({ rolcanlogin: true, rolsuper: false, member: true });
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(rows[0]!.rolpassword)!;
    expect(rows[0]!.rolpassword).toBe(
      scramVerifier('p@ss-word', Buffer.from(salt!, 'base64'), Number(iterations)),
    );
    expect(await ensureAppLoginRole(db.url, url)).toEqual({ role, action: 'unchanged' });
  });

  it('computes the verifier PostgreSQL computes for the same password and salt', async () => {
    const role = newRoleName();
    // password_encryption is scram-sha-256 by default since PostgreSQL 14.
    await db.query(`CREATE ROLE ${role} PASSWORD 'correct horse'`);
    const [row] = await db.query<{ rolpassword: string }>(
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [role],
    );
    const rolpassword = row!.rolpassword;
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(rolpassword)!;
    expect(scramVerifier('correct horse', Buffer.from(salt!, 'base64'), Number(iterations))).toBe(
      rolpassword,
    );
  });

  it('only adds the membership an existing role lacks, leaving its password alone', async () => {
    const role = newRoleName();
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'kept'`);
    const before = await db.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
    expect(await ensureAppLoginRole(db.url, withUser(db.url, role, 'other'))).toEqual({
      role,
      action: 'granted',
    });
    expect(await db.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).toEqual(before);
  });

  it('refuses a superuser or a role that may not log in, and reports the migration role itself', async () => {
    const superuser = newRoleName();
    await db.query(`CREATE ROLE ${superuser} LOGIN SUPERUSER`);
    await expect(ensureAppLoginRole(db.url, withUser(db.url, superuser))).rejects.toMatchObject({
      code: 'APP_ROLE_IS_SUPERUSER',
    });
    const nologin = newRoleName();
    await db.query(`CREATE ROLE ${nologin} NOLOGIN`);
    await expect(ensureAppLoginRole(db.url, withUser(db.url, nologin))).rejects.toBeInstanceOf(AppRoleError);
    const me = new URL(db.url).username || 'postgres';
    expect(await ensureAppLoginRole(db.url, withUser(db.url, me))).toEqual({ role: me, action: 'same-role' });
  });
});
