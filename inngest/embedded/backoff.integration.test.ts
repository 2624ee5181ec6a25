/**
 * Retries with exponential backoff and jitter, end to end: a step with `retries: 3` fails three
 * times and succeeds on its fourth attempt. Each retry's scheduled delay (from the executor's log)
 * lies within the backoff's range (`backoffBaseMs` × 2^n, capped at `backoffMaxMs`, ±20 % jitter),
 * and the next attempt starts no sooner than that delay after the failed one (and not much later),
 * both for a sequential step (the run is rescheduled: engine_runs.wake_at) and for a parallel one
 * (retried in place, its attempt count kept in an ATTEMPT_OP row).
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

// Retry n's delay lies in [0.8, 1.2) × min(100 × 2^n, 250): 80–120, 160–240, then 200–300 (capped;
// uncapped it would be 320–480, so a missing cap cannot pass).
const BASE_MS = 100;
const MAX_MS = 250;
const POLL_MS = 20;
/** Time an attempt may start after its backoff ends: the poll that finds the run due, the request. */
const SLACK_MS = 400;

const client = new Inngest({ id: "backoff", ...embeddedClientOptions() });
const attempts: Record<string, number[]> = { sequential: [], parallel: [] };
/** The delays the executor scheduled ("retry scheduled" / "step retry" log lines), by function. */
const delays: Record<string, number[]> = { sequential: [], parallel: [] };

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
    log: (message, data) => {
      if (message === "retry scheduled") delays.sequential!.push(data!.delayMs as number);
      if (message === "step retry") delays.parallel!.push(data!.delayMs as number);
    },
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

/**
 * Checks retry n's scheduled delay against its range, and that the next attempt started no sooner
 * than that delay after the failed one (and not much later).
 */
function expectBackoff(kind: string) {
  const times = attempts[kind]!;
  const scheduled = delays[kind]!;
  expect(times).toHaveLength(4);
  expect(scheduled).toHaveLength(3);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const detail = `delays ${JSON.stringify(scheduled)}, gaps ${JSON.stringify(gaps)}`;
  scheduled.forEach((delay, n) => {
    const nominal = Math.min(BASE_MS * 2 ** n, MAX_MS);
    expect(delay, detail).toBeGreaterThanOrEqual(Math.round(nominal * 0.8));
    expect(delay, detail).toBeLessThanOrEqual(Math.round(nominal * 1.2));
    expect(gaps[n]!, detail).toBeGreaterThanOrEqual(delay);
    expect(gaps[n]!, detail).toBeLessThanOrEqual(delay + SLACK_MS);
  });
  // Below the cap the delay grows whatever the jitter (2 × 0.8 > 1.2); so does each gap's floor.
  expect(scheduled[1]!).toBeGreaterThan(scheduled[0]!);
}

describe(`executor retry backoff (${testDbKind()})`, () => {
  it("spaces a sequential step's retries exponentially, with jitter, up to the cap", async () => {
    const [id] = (await client.send({ name: "backoff/sequential", data: {} })).ids;
    const run = await runOf(id!);
    expect(run).toMatchObject({ status: "completed", output: "sequential ok", attempt: 0 });
    expectBackoff("sequential");
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps.map((s) => [s.name, s.attempts])).toEqual([["flaky", 4]]);
  });

  it("spaces a parallel step's retries the same way and drops its attempt row once it succeeds", async () => {
    const [id] = (await client.send({ name: "backoff/parallel", data: {} })).ids;
    const run = await runOf(id!);
    expect(run).toMatchObject({ status: "completed", output: ["steady", "parallel ok"] });
    expectBackoff("parallel");
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps.filter((s) => s.op === ATTEMPT_OP)).toEqual([]);
    expect(steps.find((s) => s.name === "flaky")?.attempts).toBe(4);
  });
});
