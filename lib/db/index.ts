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
  const inMemory = dataDir.startsWith("memory://");
  if (!inMemory) {
    fs.mkdirSync(dataDir, { recursive: true });
    lockDataDir(dataDir);
  }
  const client = new PGlite(dataDir);
  const db = drizzle(client, { schema });
  try {
    await migrate(db, { migrationsFolder });
  } catch (err) {
    await client.close().catch(() => {});
    if (!inMemory) unlockDataDir(dataDir);
    throw err;
  }
  return {
    db: db as unknown as Db,
    kind: "pglite",
    close: async () => {
      await client.close();
      if (!inMemory) unlockDataDir(dataDir);
    },
  };
}

/** Raised when the embedded database is already open in another live process. */
export class DatabaseInUseError extends Error {
  override name = "DatabaseInUseError";
}

const lockPathOf = (dataDir: string) => `${dataDir.replace(/\/+$/, "")}.lock`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite is a single-process database: a second process opening the same directory would corrupt
 * it. A `<dataDir>.lock` file holds the owner's pid; a lock left by a dead process (SIGKILL) is
 * taken over.
 * @throws DatabaseInUseError naming the other process and the way out (DATABASE_URL).
 */
function lockDataDir(dataDir: string): void {
  const lockPath = lockPathOf(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(fs.readFileSync(lockPath, "utf8").trim());
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DatabaseInUseError(
          `The embedded database ${dataDir} is open in another process (pid ${owner}). ` +
            "Stop it first, or set DATABASE_URL so several processes can share a PostgreSQL server.",
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new DatabaseInUseError(`Could not lock the embedded database ${dataDir}`);
}

function unlockDataDir(dataDir: string): void {
  const lockPath = lockPathOf(dataDir);
  try {
    if (Number(fs.readFileSync(lockPath, "utf8").trim()) === process.pid)
      fs.rmSync(lockPath, { force: true });
  } catch {
    // Already gone.
  }
}

export { schema };
