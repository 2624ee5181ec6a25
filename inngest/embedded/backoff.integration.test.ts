/**
 * Retries with exponential backoff and jitter, end to end: a step with `retries: 3` fails three
 * times and succeeds on its fourth attempt; the gaps between its attempts follow the executor's
 * backoff (`backoffBaseMs` × 2^n, capped at `backoffMaxMs`, ±20 % jitter), both for a sequential
 * step (the run is rescheduled: engine_runs.wake_at) and for a parallel one (retried in place,
 * its attempt count kept in an ATTEMPT_OP row).
 */
import { eq } from "drizzle-orm";
import { Inngest } from "inngest";
import { serve } from "inngest/next";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { engineRuns, engineSteps } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { embeddedClientOptions, embeddedSigningKey } from "./bridge";
import { ATTEMPT_OP, EmbeddedExecutor, toServeHandler } from "./executor";

const BASE_MS = 200;
const MAX_MS = 600;
const POLL_MS = 20;
/** Time an attempt may start after its backoff ends: the poll that finds the run due, the request. */
const SLACK_MS = 400;

const client = new Inngest({ id: "backoff", ...embeddedClientOptions() });
const attempts: Record<string, number[]> = { sequential: [], parallel: [] };

const failThrice = (kind: string) => () => {
  attempts[kind]!.push(Date.now());
  if (attempts[kind]!.length <= 3) throw new Error(`${kind} failure ${attempts[kind]!.length}`);
  return `${kind} ok`;
};

const sequential = client.createFunction(
  { id: "sequential", retries: 3, triggers: [{ event: "backoff/sequential" }] },
  async ({ step }) => step.run("flaky", failThrice("sequential")),
);

const parallel = client.createFunction(
  { id: "parallel", retries: 3, triggers: [{ event: "backoff/parallel" }] },
  async ({ step }) =>
    Promise.all([step.run("steady", () => "steady"), step.run("flaky", failThrice("parallel"))]),
);

let handle: DbHandle;
let executor: EmbeddedExecutor;

beforeAll(async () => {
  handle = await openTestDb();
  executor = new EmbeddedExecutor({
    db: handle.db,
    signingKey: embeddedSigningKey(),
    handler: toServeHandler(serve({ client, functions: [sequential, parallel] })),
    backoffBaseMs: BASE_MS,
    backoffMaxMs: MAX_MS,
    pollIntervalMs: POLL_MS,
  });
  await executor.start("http://127.0.0.1:3000/api/inngest");
});
afterAll(async () => {
  await executor.stop();
  await handle.close();
});

async function runOf(eventId: string) {
  for (let i = 0; i < 100; i++) {
    const [run] = await handle.db.select().from(engineRuns).where(eq(engineRuns.eventId, eventId));
    if (run) return executor.waitForRun(run.id, 20);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no run for ${eventId}`);
}

/** Checks each gap between attempts against retry n's delay range (n = 0, 1, 2). */
function expectBackoffGaps(times: number[]) {
  expect(times).toHaveLength(4);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  gaps.forEach((gap, n) => {
    const nominal = Math.min(BASE_MS * 2 ** n, MAX_MS);
    expect(gap, `gap ${n} of ${JSON.stringify(gaps)}`).toBeGreaterThanOrEqual(Math.floor(nominal * 0.8));
    expect(gap, `gap ${n} of ${JSON.stringify(gaps)}`).toBeLessThanOrEqual(nominal * 1.2 + SLACK_MS);
  });
  // 200 → 400 → 600 (capped from 800): the gaps grow, and the third stays within the cap.
  expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
  expect(gaps[2]!).toBeLessThanOrEqual(MAX_MS * 1.2 + SLACK_MS);
  return gaps;
}

describe(`executor retry backoff (${testDbKind()})`, () => {
  it("spaces a sequential step's retries exponentially, with jitter, up to the cap", async () => {
    const [id] = (await client.send({ name: "backoff/sequential", data: {} })).ids;
    const run = await runOf(id!);
    expect(run).toMatchObject({ status: "completed", output: "sequential ok", attempt: 0 });
    expectBackoffGaps(attempts.sequential!);
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps.map((s) => [s.name, s.attempts])).toEqual([["flaky", 4]]);
  });

  it("spaces a parallel step's retries the same way and drops its attempt row once it succeeds", async () => {
    const [id] = (await client.send({ name: "backoff/parallel", data: {} })).ids;
    const run = await runOf(id!);
    expect(run).toMatchObject({ status: "completed", output: ["steady", "parallel ok"] });
    expectBackoffGaps(attempts.parallel!);
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps.filter((s) => s.op === ATTEMPT_OP)).toEqual([]);
    expect(steps.find((s) => s.name === "flaky")?.attempts).toBe(4);
  });
});
