-- Least privilege (issue 15). Migrations run as the database owner; the API, the workers and the CLIs
-- connect as a login role that belongs to the group role `claimline_app` (docs/operations.md, "Database
-- roles"). Every privilege is granted to the group, never to a login role, so the login role's name is the
-- deployment's choice (`claimline-migrate deploy` creates it from DATABASE_URL, or an administrator does).
-- The group may read and write rows, nothing else: no DDL, no TRUNCATE, and on `audit_event` only
-- SELECT and INSERT (the append-only trigger of the init migration stays, for the owner's sessions).

-- Roles belong to the server, not the database: created once, shared by every database of the server
-- (a second database, a test clone). A migration role without CREATEROLE needs it created beforehand.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'claimline_app') THEN
    BEGIN
      CREATE ROLE claimline_app NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL; -- created meanwhile by another database's migration
      WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'role claimline_app is missing and % may not create roles', current_user
          USING HINT = 'as an administrator, run CREATE ROLE claimline_app NOLOGIN once, then migrate again',
                ERRCODE = 'insufficient_privilege';
    END;
  END IF;
END
$$;

-- The schema the migrations create their tables in (public unless the URL says ?schema=).
DO $$
DECLARE
  s text := quote_ident(current_schema());
BEGIN
  -- PostgreSQL 14 and older let every role create tables in public; 15 and newer do not.
  EXECUTE format('REVOKE CREATE ON SCHEMA %s FROM PUBLIC', s);
  EXECUTE format('GRANT USAGE ON SCHEMA %s TO claimline_app', s);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO claimline_app', s);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %s TO claimline_app', s);
  -- Tables and sequences of later migrations (run by this same owner role) get the same grants.
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO claimline_app', s);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT USAGE, SELECT ON SEQUENCES TO claimline_app', s);
END
$$;

-- History is appended, never changed: refused by privilege, before any trigger runs.
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_event" FROM claimline_app;

-- The API's /readyz reads which migrations are applied; only the owner writes them. (The table is
-- missing where Prisma replays the migrations into a shadow database to compare them with the schema.)
DO $$
BEGIN
  IF to_regclass('_prisma_migrations') IS NOT NULL THEN
    REVOKE ALL ON "_prisma_migrations" FROM claimline_app;
    GRANT SELECT ON "_prisma_migrations" TO claimline_app;
  END IF;
END
$$;
