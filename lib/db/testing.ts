/**
 * Test databases. `KADR_TEST_DB=postgres` with `KADR_TEST_DATABASE_URL` (an admin URL of a real
 * PostgreSQL server) gives each caller a fresh database created for it and dropped on close;
 * otherwise each caller gets a fresh in-memory PGlite. Both apply the real migrations.
 */
import { randomBytes } from "node:crypto";
import { type DbHandle, openDb } from "./index";

/** Which backend the integration tests run against in this process. */
export function testDbKind(): "pglite" | "postgres" {
  return process.env.KADR_TEST_DB === "postgres" ? "postgres" : "pglite";
}

/**
 * Opens an isolated, migrated database for one test file.
 * @throws when KADR_TEST_DB=postgres but KADR_TEST_DATABASE_URL is unset or unreachable.
 */
export async function openTestDb(): Promise<DbHandle & { url?: string }> {
  if (testDbKind() === "pglite") return openDb({ dataDir: "memory://" });
  const adminUrl = process.env.KADR_TEST_DATABASE_URL;
  if (!adminUrl)
    throw new Error("KADR_TEST_DB=postgres needs KADR_TEST_DATABASE_URL (a postgres:// admin URL)");
  const name = `kadr_test_${randomBytes(6).toString("hex")}`;
  const { default: postgres } = await import("postgres");
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDb({ url: url.href });
  return {
    ...handle,
    url: url.href,
    async close() {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
