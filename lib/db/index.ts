/**
 * Database client factory. With no `DATABASE_URL` Kadr embeds PostgreSQL (PGlite, WASM) with its
 * data under `.data/pglite`; with `DATABASE_URL` it connects with postgres.js. Either way the
 * migrations in `drizzle/` are applied before the client is handed out.
 *
 * Docs: https://orm.drizzle.team/docs/connect-pglite, https://orm.drizzle.team/docs/get-started-postgresql
 */
import fs from "node:fs";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema";

/** The drizzle database handle every service takes as its first parameter. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DbHandle {
  db: Db;
  /** "pglite" (embedded) or "postgres" (DATABASE_URL). */
  kind: "pglite" | "postgres";
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data directory; `memory://` for an in-memory database. Default `.data/pglite`. */
  dataDir?: string;
  /** Folder of generated migrations. Default `<cwd>/drizzle`. */
  migrationsFolder?: string;
}

/** Absolute path of the generated migrations shipped with the app. */
export function defaultMigrationsFolder(): string {
  return path.resolve(process.cwd(), "drizzle");
}

/**
 * Opens the database and applies pending migrations.
 * @throws when the server is unreachable or a migration fails (the message names the cause).
 */
export async function openDb(options: OpenDbOptions = {}): Promise<DbHandle> {
  const migrationsFolder = options.migrationsFolder ?? defaultMigrationsFolder();
  if (options.url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    const client = postgres(options.url, { max: 10, onnotice: () => {} });
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder });
    return { db: db as unknown as Db, kind: "postgres", close: () => client.end({ timeout: 5 }) };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const dataDir = options.dataDir ?? path.resolve(process.cwd(), ".data", "pglite");
  if (!dataDir.startsWith("memory://")) fs.mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder });
  return { db: db as unknown as Db, kind: "pglite", close: () => client.close() };
}

export { schema };
