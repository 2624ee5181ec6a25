/**
 * Bench section `dedup`: latency of a greeting request (`requestGreeting`: validation, fingerprint,
 * one transaction with insert-or-subscribe, the new subscription and the requester's payment)
 * served by a shared generation — one that hits a finished generation (result and Telegram file_id
 * at once; payment reserved and captured) and one that subscribes to a running one (payment
 * reserved) — each over 250 requests from distinct users, on PGlite and, when a PostgreSQL server is available
 * (KADR_TEST_DATABASE_URL, else scripts/test-postgres.sh), on PostgreSQL. Goal: p95 < 50 ms.
 */
import { grant } from "@/lib/credits/ledger";
import { completeGeneration, type SharedOutcome } from "@/lib/credits/shared-generations";
import { finishJob, insertUser } from "@/lib/credits/test-fixtures";
import type { DbHandle } from "@/lib/db";
import { requestGreeting } from "@/lib/greetings/greetings";
import type { StudioDeps } from "@/lib/studio/jobs";
import { onBothDatabases } from "../databases";
import { type BenchRow, median, percentile } from "../types";

const REQUESTS = 250;
const WARMUP = 20;
const GOAL_P95_MS = 50;
const TEMPLATE = "new-year-en";

/** Studio deps whose event sender only counts (a shared request must never start a job). */
function benchDeps(handle: DbHandle, started: string[]): StudioDeps {
  return {
    db: handle.db,
    sendEvent: async (event) => void started.push(String(event.data.jobId)),
    policy: { limits: null },
  };
}

/**
 * Times `count` greeting requests for `name` (typed in another case and spacing), each from a new
 * user with credits; checks every outcome's role and that no job was started.
 */
async function timeRequests(
  handle: DbHandle,
  name: string,
  count: number,
  expectedRole: SharedOutcome["role"],
): Promise<number[]> {
  const userIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const userId = await insertUser(handle.db, `bench ${i}`);
    await grant(handle.db, { userId, amount: 100, key: `bench:${userId}` });
    userIds.push(userId);
  }
  const started: string[] = [];
  const deps = benchDeps(handle, started);
  const times: number[] = [];
  for (const userId of userIds) {
    const start = performance.now();
    const outcome = await requestGreeting(
      deps,
      userId,
      { templateId: TEMPLATE, name: ` ${name.toUpperCase()} ` },
      { channel: "telegram", telegramChatId: 1 },
    );
    times.push(performance.now() - start);
    if (outcome.role !== expectedRole)
      throw new Error(`dedup bench: expected ${expectedRole}, got ${outcome.role}`);
  }
  if (started.length) throw new Error("dedup bench: a shared request started a job");
  return times;
}

async function measure(label: string, handle: DbHandle): Promise<BenchRow[]> {
  const owner = await insertUser(handle.db, "bench owner");
  await grant(handle.db, { userId: owner, amount: 100, key: `bench:${owner}` });
  for (const [name, finished] of [
    ["Running", false],
    ["Finished", true],
  ] as const) {
    const { jobId } = await requestGreeting(
      benchDeps(handle, []),
      owner,
      { templateId: TEMPLATE, name },
      { channel: "telegram", telegramChatId: 1 },
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
