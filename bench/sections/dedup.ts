/**
 * Bench section `dedup`: latency of a request served by a shared generation — one that hits a
 * finished generation (result and Telegram file_id at once) and one that subscribes to a running
 * one — each over 250 requests from distinct users (fingerprint + insert-or-subscribe transaction +
 * new subscription row), on PGlite and, when a PostgreSQL server is available
 * (KADR_TEST_DATABASE_URL, else scripts/test-postgres.sh), on PostgreSQL. Goal: p95 < 50 ms.
 */
import { requestFingerprint } from "@/lib/credits/fingerprint";
import { completeGeneration, insertOrSubscribe, type SharedOutcome } from "@/lib/credits/shared-generations";
import { finishJob, insertJob, insertUser } from "@/lib/credits/test-fixtures";
import type { DbHandle } from "@/lib/db";
import { onBothDatabases } from "../databases";
import { type BenchRow, median, percentile } from "../types";

const REQUESTS = 250;
const WARMUP = 20;
const GOAL_P95_MS = 50;

function greetingRequest(name: string) {
  return { kind: "greeting", inputs: { name }, options: { template: "new-year-en", aspect: "9:16" } };
}

async function neverStarts(): Promise<string> {
  throw new Error("dedup bench: a shared request must not start a job");
}

/** Times `count` requests for `name`'s greeting, each from a new user; checks every outcome's role. */
async function timeRequests(
  handle: DbHandle,
  name: string,
  count: number,
  expectedRole: SharedOutcome["role"],
): Promise<number[]> {
  const userIds: string[] = [];
  for (let i = 0; i < count; i++) userIds.push(await insertUser(handle.db, `bench ${i}`));
  const times: number[] = [];
  for (const userId of userIds) {
    const start = performance.now();
    const fingerprint = requestFingerprint(greetingRequest(` ${name.toUpperCase()} `));
    const outcome = await insertOrSubscribe(
      handle.db,
      { fingerprint, kind: "greeting", userId, channel: "telegram", telegramChatId: 1 },
      neverStarts,
    );
    times.push(performance.now() - start);
    if (outcome.role !== expectedRole)
      throw new Error(`dedup bench: expected ${expectedRole}, got ${outcome.role}`);
  }
  return times;
}

async function measure(label: string, handle: DbHandle): Promise<BenchRow[]> {
  const owner = await insertUser(handle.db, "bench owner");
  for (const [name, finished] of [
    ["Running", false],
    ["Finished", true],
  ] as const) {
    const fingerprint = requestFingerprint(greetingRequest(name));
    const { jobId } = await insertOrSubscribe(
      handle.db,
      { fingerprint, kind: "greeting", userId: owner, channel: "telegram" },
      (tx) => insertJob(tx, owner, { topic: `Greeting for ${name}` }),
    );
    if (finished) {
      await finishJob(handle.db, jobId, "bench-telegram-file-id");
      await completeGeneration(handle.db, jobId);
    }
  }
  const rows: BenchRow[] = [];
  for (const [kind, name, role] of [
    ["hit_finished", "Finished", "completed"],
    ["subscribe_running", "Running", "subscriber"],
  ] as const) {
    await timeRequests(handle, name, WARMUP, role);
    const times = await timeRequests(handle, name, REQUESTS, role);
    const p95 = percentile(times, 95);
    const note = `${REQUESTS} requests from distinct users after ${WARMUP} warm-up`;
    rows.push(
      {
        section: "dedup",
        name: `${kind}_${label}_p50_ms`,
        value: median(times),
        unit: "ms",
        goal: "",
        ok: true,
        note,
      },
      {
        section: "dedup",
        name: `${kind}_${label}_p95_ms`,
        value: p95,
        unit: "ms",
        goal: `< ${GOAL_P95_MS}`,
        ok: p95 < GOAL_P95_MS,
        note,
      },
    );
  }
  return rows;
}

/** Runs the section on PGlite (in memory) and on PostgreSQL. */
export function runDedupBench(): Promise<BenchRow[]> {
  return onBothDatabases("dedup", measure);
}
