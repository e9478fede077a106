import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The application's database role (issue 15, docs/operations.md "Database roles"). The migration
 * `app_role` grants row access to the group role `claimline_app` (no DDL, audit rows append-only);
 * the API, the workers and the CLIs log in as a role that belongs to it, named by DATABASE_URL.
 */
export const APP_GROUP_ROLE = 'claimline_app';

export type AppRoleErrorCode =
  'APP_ROLE_NO_USER' | 'APP_ROLE_IS_SUPERUSER' | 'APP_ROLE_CANNOT_LOGIN' | 'APP_GROUP_ROLE_MISSING';

export class AppRoleError extends Error {
  constructor(
    readonly code: AppRoleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppRoleError';
  }
}

/** What ensureAppLoginRole did. `same-role`: DATABASE_URL names the migration role itself. */
export type AppRoleOutcome = { role: string; action: 'created' | 'granted' | 'unchanged' | 'same-role' };

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A SCRAM-SHA-256 verifier (RFC 5803, as PostgreSQL stores it) of `password`: CREATE ROLE receives
 * this, never the password, so a server that logs DDL statements does not log the password.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * Makes the user of `appUrl` a login role that belongs to claimline_app, connected as the owner
 * (`ownerUrl`). A missing role is created (LOGIN, the URL's password); an existing one only gains
 * the membership it lacks: its password and attributes are the administrator's. A superuser, or a
 * role that may not log in, is refused: the application would not run with least privilege.
 */
export async function ensureAppLoginRole(ownerUrl: string, appUrl: string): Promise<AppRoleOutcome> {
  const url = new URL(appUrl);
  const role = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (!role) throw new AppRoleError('APP_ROLE_NO_USER', 'DATABASE_URL names no user (postgresql://<role>@…)');
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows: me } = await client.query<{ name: string }>('SELECT current_user AS name');
    if (me[0]!.name === role) return { role, action: 'same-role' };
    const group = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_GROUP_ROLE]);
    if (group.rowCount !== 1)
      throw new AppRoleError(
        'APP_GROUP_ROLE_MISSING',
        `role ${APP_GROUP_ROLE} does not exist: apply the migrations first (claimline-migrate deploy)`,
      );
    const { rows } = await client.query<{ rolsuper: boolean; rolcanlogin: boolean }>(
      'SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = $1',
      [role],
    );
    let action: AppRoleOutcome['action'] = 'unchanged';
    if (!rows[0]) {
      const secret = password ? ` PASSWORD ${client.escapeLiteral(scramVerifier(password))}` : '';
      await client.query(`CREATE ROLE ${quoteIdent(role)} LOGIN${secret}`);
      action = 'created';
    } else if (rows[0].rolsuper) {
      throw new AppRoleError(
        'APP_ROLE_IS_SUPERUSER',
        `DATABASE_URL's role ${role} is a superuser: the API and the workers must connect as a role without it`,
      );
    } else if (!rows[0].rolcanlogin) {
      throw new AppRoleError(
        'APP_ROLE_CANNOT_LOGIN',
        `DATABASE_URL's role ${role} exists but may not log in`,
      );
    }
    const member = await client.query<{ yes: boolean }>(`SELECT pg_has_role($1, $2, 'USAGE') AS yes`, [
      role,
      APP_GROUP_ROLE,
    ]);
    if (!member.rows[0]!.yes) {
      await client.query(`GRANT ${APP_GROUP_ROLE} TO ${quoteIdent(role)}`);
      if (action === 'unchanged') action = 'granted';
    }
    return { role, action };
  } finally {
    await client.end();
  }
}
