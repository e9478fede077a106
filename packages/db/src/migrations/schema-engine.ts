import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

/**
 * Prisma's schema engine compiled to WebAssembly (the same Rust code as the `schema-engine` binary
 * that `prisma migrate deploy` downloads), driven through the pg driver adapter. It ships inside an
 * npm package, so migrations work where that binary cannot be downloaded, and it records applied
 * migrations in the same `_prisma_migrations` table: the two are interchangeable on one database.
 */
type WasmBindings = typeof import('@prisma/schema-engine-wasm') & { __wbg_set_wasm(exports: unknown): void };

// The ES2023 lib has no WebAssembly declarations; this is the little this file uses.
type WasmRuntime = {
  Module: new (bytes: Buffer) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
};
const { WebAssembly: Wasm } = globalThis as unknown as { WebAssembly: WasmRuntime };

let bindings: WasmBindings | undefined;

function loadBindings(): WasmBindings {
  if (bindings) return bindings;
  const packageDir = path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  // The package's entry imports the .wasm file as an ES module (needs --experimental-wasm-modules),
  // so instantiate it by hand from its JS glue instead.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const glue = require(path.join(packageDir, 'schema_engine_bg.js')) as WasmBindings;
  const module = new Wasm.Module(fs.readFileSync(path.join(packageDir, 'schema_engine_bg.wasm')));
  const instance = new Wasm.Instance(module, {
    './schema_engine_bg.js': glue,
  });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  bindings = glue;
  return glue;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/**
 * The engine's catalogue queries return columns of Postgres's internal one-byte `"char"` type
 * (pg_class.relkind and friends), which @prisma/adapter-pg 7.10 does not map and rejects. This client
 * reports them as text, which is what they are on the wire. Used only by the migration engine.
 */
class CatalogFriendlyClient extends pg.Client {
  _handleRowDescription(message: { fields: { dataTypeID: number }[] }): void {
    for (const field of message.fields) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    (
      pg.Client.prototype as unknown as { _handleRowDescription(m: unknown): void }
    )._handleRowDescription.call(this, message);
  }
}

type ScriptRunner = {
  executeScript(script: string): Promise<void>;
  underlyingDriver(): pg.Pool;
  onError(error: unknown): never;
};

/** Runs a migration script as one simple-protocol query, as the native engine does. */
function runScriptsWhole<A>(adapter: A): A {
  const runner = adapter as unknown as ScriptRunner;
  runner.executeScript = async (script: string) => {
    try {
      await runner.underlyingDriver().query(script);
    } catch (error) {
      runner.onError(error);
    }
  };
  return adapter;
}

/**
 * @prisma/adapter-pg 7.10 runs a script by splitting it on every `;`, which breaks any statement
 * with a semicolon inside it (a PL/pgSQL function body, a string literal).
 */
class MigrationPrismaPg extends PrismaPg {
  override async connect() {
    return runScriptsWhole(await super.connect());
  }

  override async connectToShadowDb() {
    return runScriptsWhole(await super.connectToShadowDb());
  }
}

export type SchemaFile = { path: string; content: string };

/** The engine and the connection pool it runs on; `close()` frees the one and ends the other. */
export type OpenSchemaEngine = { engine: SchemaEngine; close(): Promise<void> };

export async function openSchemaEngine(
  databaseUrl: string,
  schemaFiles: SchemaFile[] = [],
): Promise<OpenSchemaEngine> {
  const { SchemaEngine: Engine } = loadBindings();
  // Owned here and ended in close(): left to its idle timeout, it keeps the database busy for
  // seconds, and `CREATE DATABASE … TEMPLATE` of a just-migrated database fails meanwhile.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, Client: CatalogFriendlyClient });
  pool.on('error', () => undefined); // an idle connection closed by the server; the next query reconnects
  const adapterFactory = bindMigrationAwareSqlAdapterFactory(new MigrationPrismaPg(pool));
  const datamodels =
    schemaFiles.length > 0 ? schemaFiles.map((f): [string, string] => [f.path, f.content]) : undefined;
  const engine = await Engine.new({ datamodels }, () => undefined, adapterFactory);
  return {
    engine,
    async close() {
      engine.free();
      await pool.end();
    },
  };
}
