/**
 * Runs a bench measurement on both database backends: an in-memory PGlite, then a fresh PostgreSQL
 * database on KADR_TEST_DATABASE_URL's server or on a throwaway cluster started with
 * scripts/test-postgres.sh. When no server can be had, one `ok: false` row says so.
 */
import { execFileSync } from "node:child_process";
import { type DbHandle, openDb } from "@/lib/db";
import type { BenchRow } from "./types";

/** An admin URL of a PostgreSQL server, or null when none can be started. */
function postgresAdminUrl(): string | null {
  if (process.env.KADR_TEST_DATABASE_URL) return process.env.KADR_TEST_DATABASE_URL;
  try {
    const out = execFileSync("bash", ["scripts/test-postgres.sh", "start"], { encoding: "utf8" });
    return /KADR_TEST_DATABASE_URL=(\S+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Calls `measure(label, db)` with label "pglite" and then "postgres" (a database named
 * `kadr_bench_<section>`, dropped afterwards) and returns all rows.
 */
export async function onBothDatabases(
  section: string,
  measure: (label: "pglite" | "postgres", handle: DbHandle) => Promise<BenchRow[]>,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const pglite = await openDb({ dataDir: "memory://" });
  try {
    rows.push(...(await measure("pglite", pglite)));
  } finally {
    await pglite.close();
  }
  const adminUrl = postgresAdminUrl();
  if (!adminUrl) {
    const note = "no PostgreSQL server could be started (scripts/test-postgres.sh)";
    rows.push({ section, name: "postgres", value: 0, unit: "", goal: "", ok: false, note });
    return rows;
  }
  const database = `kadr_bench_${section}`;
  const { default: postgres } = await import("postgres");
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${database} with (force)`);
  await admin.unsafe(`create database ${database}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const handle = await openDb({ url: url.href });
  try {
    rows.push(...(await measure("postgres", handle)));
  } finally {
    await handle.close();
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
  return rows;
}
