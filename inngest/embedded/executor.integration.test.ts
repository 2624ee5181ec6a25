import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { eventType, Inngest, NonRetriableError, RetryAfterError } from "inngest";
import { serve } from "inngest/next";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { DbHandle } from "@/lib/db";
import { engineRuns, engineSteps } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { EMBEDDED_ORIGIN, embeddedClientOptions, embeddedFetch, embeddedSigningKey } from "./bridge";
import { ATTEMPT_OP, EmbeddedExecutor, hashedSigningKey, signRequest, toServeHandler } from "./executor";
import { getRunDetail, listRuns } from "./runs";
import { stepRequestBody } from "./test-support";

/**
 * Conformance of the embedded executor against the real `inngest` SDK: every test defines real
 * Inngest functions, serves them with `inngest/next`'s serve(), and drives them only through
 * events, asserting on run outputs and on the memoized step rows.
 */
const client = new Inngest({ id: "conformance", ...embeddedClientOptions() });
const started = eventType("test/started", { schema: z.object({ key: z.string() }) });
const approved = eventType("test/approved", { schema: z.object({ key: z.string() }) });
const calls: Record<string, number> = {};
const count = (name: string) => {
  calls[name] = (calls[name] ?? 0) + 1;
};

const sequential = client.createFunction(
  { id: "sequential", triggers: [{ event: "test/sequential" }] },
  async ({ step }) => {
    const a = await step.run("a", () => {
      count("seq-a");
      return 2;
    });
    const b = await step.run("b", () => {
      count("seq-b");
      return a * 10;
    });
    return { sum: a + b };
  },
);

const parallel = client.createFunction(
  { id: "parallel", triggers: [{ event: "test/parallel" }] },
  async ({ step }) => {
    const values = await Promise.all(
      Array.from({ length: 48 }, (_, i) =>
        step.run(`square-${i}`, async () => {
          count("par");
          return i * i;
        }),
      ),
    );
    return values.reduce((s, v) => s + v, 0);
  },
);

const gated = client.createFunction({ id: "gated", triggers: [started] }, async ({ event, step }) => {
  await step.run("before", () => "ok");
  const approval = await step.waitForEvent("wait-approval", {
    event: approved,
    match: "data.key",
    timeout: "1h",
  });
  const timedOut = await step.waitForEvent("wait-never", { event: "test/never", timeout: "1s" });
  await step.sendEvent("announce", { name: "test/sequential", data: {} });
  return { key: event.data.key, approvedKey: approval?.data.key ?? null, timedOut };
});

const flaky = client.createFunction(
  { id: "flaky", retries: 2, triggers: [{ event: "test/flaky" }] },
  async ({ step }) => {
    return step.run("sometimes", () => {
      count("flaky");
      if ((calls.flaky ?? 0) < 3) throw new Error("transient");
      return "third time lucky";
    });
  },
);

const fatal = client.createFunction(
  {
    id: "fatal",
    retries: 3,
    triggers: [{ event: "test/fatal" }],
    onFailure: async ({ step }) => {
      await step.run("note-failure", () => count("on-failure"));
    },
  },
  async ({ step }) => {
    await step.run("doomed", () => {
      count("fatal");
      throw new NonRetriableError("bad input: never retry");
    });
  },
);

const mixed = client.createFunction(
  { id: "mixed", triggers: [{ event: "test/mixed" }] },
  async ({ step }) => {
    const done: string[] = [];
    for (let i = 0; i < 3; i++) done.push(await step.run(`head-${i}`, () => `head-${i}`));
    done.push(
      ...(await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          step.run(`fan-${i}`, () => {
            count(`fan-${i}`);
            return `fan-${i}`;
          }),
        ),
      )),
    );
    for (let i = 0; i < 2; i++)
      done.push(
        await step.run(`tail-${i}`, () => {
          count(`tail-${i}`);
          return `tail-${i}`;
        }),
      );
    return done;
  },
);

const marathon = client.createFunction(
  { id: "marathon", checkpointing: { maxRuntime: "250ms" }, triggers: [{ event: "test/marathon" }] },
  async ({ step }) => {
    let total = 0;
    for (let i = 0; i < 6; i++)
      total += await step.run(`leg-${i}`, async () => {
        count(`leg-${i}`);
        await new Promise((r) => setTimeout(r, 100));
        return i;
      });
    return total;
  },
);

const fanFlaky = client.createFunction(
  { id: "fan-flaky", retries: 2, triggers: [{ event: "test/fan-flaky" }] },
  async ({ event, step }) => {
    const key = (event.data as { key: string }).key;
    const [ok, failed] = await Promise.all([
      step.run("fan-ok", () => "ok"),
      step
        .run("fan-broken", () => {
          count(`fan-broken-${key}`);
          throw new Error("still broken");
        })
        .catch(() => "gave up"),
    ]);
    return { ok, failed };
  },
);

/** Resolvers that let a test hold a step open until it has sent events. */
const gates = new Map<string, () => void>();
const holdUntilReleased = (name: string) => new Promise<void>((resolve) => gates.set(name, resolve));

const ordering = client.createFunction(
  { id: "ordering", triggers: [{ event: "test/ordering" }] },
  async ({ step }) => {
    await step.run("hold", () => holdUntilReleased("ordering"));
    const early = await step.waitForEvent("wait-signal", { event: "test/signal", timeout: "2s" });
    return { matched: early?.data ?? null };
  },
);

const sleeper = client.createFunction(
  { id: "sleeper", triggers: [{ event: "test/sleep" }] },
  async ({ step }) => {
    const before = await step.run("before", () => Date.now());
    await step.sleep("nap", "1s");
    await step.sleepUntil("until", new Date(before + 1500));
    const after = await step.run("after", () => Date.now());
    return { sleptMs: after - before };
  },
);

const doubler = client.createFunction(
  { id: "doubler", triggers: [{ event: "test/double" }] },
  async ({ event, step }) => {
    const n = (event.data as { n: number }).n;
    if (n < 0) throw new NonRetriableError("negative input");
    return step.run("double", () => n * 2);
  },
);

const invoker = client.createFunction(
  { id: "invoker", triggers: [{ event: "test/invoke" }] },
  async ({ step }) => {
    const doubled = await step.invoke("call-doubler", { function: doubler, data: { n: 21 } });
    const failure = await step
      .invoke("call-failing", { function: doubler, data: { n: -1 } })
      .then(() => "no error")
      .catch((err: Error) => err.message);
    return { doubled, failure };
  },
);

const cancellable = client.createFunction(
  {
    id: "cancellable",
    triggers: [{ event: "test/cancellable" }],
    cancelOn: [{ event: "test/cancel", match: "data.key" }],
  },
  async ({ step }) => {
    await step.run("first", () => count("cancellable-first"));
    await step.waitForEvent("never", { event: "test/never-sent", timeout: "1h" });
    await step.run("after-cancel", () => count("cancellable-after"));
  },
);

const exhausted = client.createFunction(
  {
    id: "exhausted",
    retries: 1,
    triggers: [{ event: "test/exhausted" }],
    onFailure: async ({ error, step }) => {
      await step.run("record", () => {
        count("exhausted-on-failure");
        return error.message;
      });
    },
  },
  async ({ step }) => {
    await step.run("always-fails", () => {
      count("exhausted");
      throw new Error("still broken");
    });
  },
);

const stoppable = client.createFunction(
  {
    id: "stoppable",
    triggers: [{ event: "test/stoppable" }],
    cancelOn: [{ event: "test/stop-it", match: "data.key" }],
  },
  async ({ step }) => {
    await step.run("stoppable-1", () => count("stoppable-1"));
    await step.run("stoppable-2", async () => {
      count("stoppable-2");
      await holdUntilReleased("stoppable");
    });
    await step.run("stoppable-3", () => count("stoppable-3"));
  },
);

const spans: { group: string; start: number; end: number }[] = [];
const limited = client.createFunction(
  {
    id: "limited",
    triggers: [{ event: "test/limited" }],
    concurrency: { limit: 2, key: "event.data.group" },
  },
  async ({ event, step }) => {
    await step.run("work", async () => {
      const start = Date.now();
      await new Promise((r) => setTimeout(r, 150));
      spans.push({ group: (event.data as { group: string }).group, start, end: Date.now() });
    });
  },
);

/**
 * Two functions sharing one limit per key value (`scope: "env"`, same key), as Kadr's pipeline
 * functions share the per-user step limit.
 */
const sharedLimit = { scope: "env", key: "event.data.owner", limit: 2 } as const;
const sharedLimited = ["shared-a", "shared-b"].map((id) =>
  client.createFunction(
    { id, triggers: [{ event: `test/${id}` }], concurrency: [sharedLimit] },
    async ({ event, step }) => {
      await step.run("work", async () => {
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 150));
        spans.push({ group: `shared:${(event.data as { owner: string }).owner}`, start, end: Date.now() });
      });
    },
  ),
);

const retryTimes: number[] = [];
const patient = client.createFunction(
  { id: "patient", triggers: [{ event: "test/patient" }] },
  async ({ step }) =>
    step.run("rate-limited", () => {
      retryTimes.push(Date.now());
      if (retryTimes.length < 2) throw new RetryAfterError("provider said wait", "1s");
      return "done";
    }),
);

/** Largest number of spans of one group running at the same instant (checked at every start). */
function maxOverlap(group: string): number {
  const mine = spans.filter((s) => s.group === group);
  return Math.max(...mine.map((s) => mine.filter((o) => o.start <= s.start && s.start < o.end).length));
}

const allFunctions = [
  ...sharedLimited,
  sequential,
  parallel,
  gated,
  flaky,
  fatal,
  ordering,
  sleeper,
  doubler,
  invoker,
  cancellable,
  exhausted,
  limited,
  patient,
  mixed,
  fanFlaky,
  stoppable,
  marathon,
];
const handler = serve({ client, functions: allFunctions });
/** The `fnId` and `stepId` of every request the executor sent to serve(). */
const requests: { fnId: string; stepId: string }[] = [];
const serveHandler = toServeHandler(handler);
const countingHandler = (request: Request) => {
  const url = new URL(request.url);
  if (request.method === "POST")
    requests.push({ fnId: url.searchParams.get("fnId") ?? "", stepId: url.searchParams.get("stepId") ?? "" });
  return serveHandler(request);
};

let handle: DbHandle;
let executor: EmbeddedExecutor;

async function runOf(eventId: string, functionId: string) {
  for (let i = 0; i < 100; i++) {
    const rows = await handle.db.query.engineRuns.findMany();
    const run = rows.find((r) => r.eventId === eventId && r.functionId === functionId);
    if (run) return executor.waitForRun(run.id, 20);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${functionId} run for ${eventId}`);
}

describe(`embedded executor (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    executor = new EmbeddedExecutor({
      db: handle.db,
      signingKey: embeddedSigningKey(),
      handler: countingHandler,
      backoffBaseMs: 20,
      pollIntervalMs: 20,
    });
    await executor.start("http://127.0.0.1:3000/api/inngest");
  });
  afterAll(async () => {
    await executor.stop();
    await handle.close();
  });

  it("runs sequential steps once each and memoizes them", async () => {
    const [id] = (await client.send({ name: "test/sequential", data: {} })).ids;
    const run = await runOf(id!, "conformance-sequential");
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ sum: 22 });
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps.map((s) => s.name)).toEqual(["a", "b"]);
    expect(calls["seq-a"]).toBe(1);
  });

  it("runs a 48-way Promise.all fan-out, each step exactly once", async () => {
    const [id] = (await client.send({ name: "test/parallel", data: {} })).ids;
    const run = await runOf(id!, "conformance-parallel");
    expect(run.output).toBe(Array.from({ length: 48 }, (_, i) => i * i).reduce((s, v) => s + v, 0));
    expect(calls.par).toBe(48);
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps).toHaveLength(48);
  });

  it("runs sequential steps inside one request (async checkpoints), then a fan-out, then more steps", async () => {
    const [id] = (await client.send({ name: "test/mixed", data: {} })).ids;
    const run = await runOf(id!, "conformance-mixed");
    expect(run.output).toEqual([
      ...["head-0", "head-1", "head-2"],
      ...["fan-0", "fan-1", "fan-2", "fan-3"],
      ...["tail-0", "tail-1"],
    ]);
    for (const name of ["fan-0", "fan-1", "fan-2", "fan-3", "tail-0", "tail-1"]) expect(calls[name]).toBe(1);
    const steps = await handle.db
      .select()
      .from(engineSteps)
      .where(eq(engineSteps.runId, run.id))
      .orderBy(engineSteps.seq);
    expect(steps.slice(0, 3).map((s) => s.name)).toEqual(["head-0", "head-1", "head-2"]);
    expect(steps.slice(7).map((s) => s.name)).toEqual(["tail-0", "tail-1"]);
    expect(steps.every((s) => s.attempts === 1 && s.startedAt !== null)).toBe(true);
    // Discovery 1 runs head-0..2 and plans the fan-out; 4 planned-step requests; discovery 2 runs
    // tail-0..1 and completes. Without checkpointing this takes 3 + 1 + 4 + 2 + 1 = 11 requests.
    const mine = requests.filter((r) => r.fnId === "conformance-mixed");
    expect(mine.filter((r) => r.stepId === "step")).toHaveLength(2);
    expect(mine).toHaveLength(6);
  });

  it("goes on in a new request when the SDK's checkpointing maxRuntime is reached", async () => {
    const [id] = (await client.send({ name: "test/marathon", data: {} })).ids;
    const run = await runOf(id!, "conformance-marathon");
    expect(run.output).toBe(15);
    for (let i = 0; i < 6; i++) expect(calls[`leg-${i}`]).toBe(1);
    const steps = await handle.db
      .select()
      .from(engineSteps)
      .where(eq(engineSteps.runId, run.id))
      .orderBy(engineSteps.seq);
    expect(steps.map((s) => s.name)).toEqual(["leg-0", "leg-1", "leg-2", "leg-3", "leg-4", "leg-5"]);
    // Past 250 ms the SDK hands the next step back as planned instead of running it.
    const mine = requests.filter((r) => r.fnId === "conformance-marathon");
    expect(mine.filter((r) => r.stepId !== "step").length).toBeGreaterThanOrEqual(1);
    expect(mine.length).toBeLessThan(6);
  });

  it("answers checkpoints only with the hashed signing key and for a request in flight", async () => {
    const post = (authorization: string, body: Record<string, unknown>) =>
      embeddedFetch(`${EMBEDDED_ORIGIN}/v1/checkpoint/some-run/async`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify(body),
      });
    const steps = [{ id: "x", op: "StepRun", data: 1 }];
    expect((await post("Bearer signkey-test-00ff", { qi_id: "nope", steps })).status).toBe(401);
    const bearer = `Bearer ${hashedSigningKey(embeddedSigningKey())}`;
    expect((await post(bearer, { qi_id: "nope", steps })).status).toBe(409);
    expect(await handle.db.select().from(engineSteps).where(eq(engineSteps.hashedId, "x"))).toEqual([]);
  });

  it("retries a failing parallel step up to its attempts, then records its final error", async () => {
    const [id] = (await client.send({ name: "test/fan-flaky", data: { key: "live" } })).ids;
    const run = await runOf(id!, "conformance-fan-flaky");
    expect(run.output).toEqual({ ok: "ok", failed: "gave up" });
    expect(calls["fan-broken-live"]).toBe(3);
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps.find((s) => s.name === "fan-broken")).toMatchObject({ op: "StepFailed", attempts: 3 });
    expect(steps.filter((s) => s.op === ATTEMPT_OP)).toEqual([]);
  });

  it("resumes a parallel step's durable attempt count (as after a restart) instead of starting over", async () => {
    // A run left by a previous process after two failed attempts of fan-broken (of 3 allowed).
    const runId = "seeded-fan-flaky";
    const event = { name: "test/fan-flaky", id: "seeded-fan-flaky", data: { key: "seeded" }, ts: Date.now() };
    const hashed = createHash("sha1").update("fan-broken").digest("hex");
    await handle.db.transaction(async (tx) => {
      await tx.insert(engineRuns).values({
        id: runId,
        functionId: "conformance-fan-flaky",
        eventId: event.id,
        event,
        status: "running",
      });
      await tx.insert(engineSteps).values({
        runId,
        hashedId: `attempts:${hashed}`,
        op: ATTEMPT_OP,
        result: { data: { attempts: 2, retryAt: Date.now() + 200 } },
        attempts: 2,
      });
    });
    const started = Date.now();
    const run = await executor.waitForRun(runId, 20);
    expect(run.output).toEqual({ ok: "ok", failed: "gave up" });
    expect(calls["fan-broken-seeded"]).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, runId));
    expect(steps.find((s) => s.hashedId === hashed)).toMatchObject({ op: "StepFailed", attempts: 3 });
    expect(steps.filter((s) => s.op === ATTEMPT_OP)).toEqual([]);
    expect((await getRunDetail(handle.db, runId))?.steps.map((s) => s.op).sort()).toEqual([
      "StepFailed",
      "StepRun",
    ]);
  });

  it("suspends on waitForEvent, matches by field, times out to null, and sends events", async () => {
    const [id] = (await client.send(started.create({ key: "k1" }))).ids;
    await new Promise((r) => setTimeout(r, 300));
    const waiting = (await handle.db.query.engineRuns.findMany()).find((r) => r.eventId === id);
    expect(waiting?.status).toBe("waiting");
    await client.send(approved.create({ key: "other" }));
    await client.send(approved.create({ key: "k1" }));
    const run = await runOf(id!, "conformance-gated");
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ key: "k1", approvedKey: "k1", timedOut: null });
  });

  it("retries a throwing step with backoff until it succeeds", async () => {
    const [id] = (await client.send({ name: "test/flaky", data: {} })).ids;
    const run = await runOf(id!, "conformance-flaky");
    expect(run.output).toBe("third time lucky");
    expect(calls.flaky).toBe(3);
  });

  it("fails at once on NonRetriableError and runs onFailure", async () => {
    const [id] = (await client.send({ name: "test/fatal", data: {} })).ids;
    const run = await runOf(id!, "conformance-fatal");
    expect(run.status).toBe("failed");
    expect(JSON.stringify(run.error)).toContain("bad input: never retry");
    expect(calls.fatal).toBe(1);
    const failure = await runOf(`failed-${run.id}`, "conformance-fatal-failure");
    expect(failure.status).toBe("completed");
    expect(calls["on-failure"]).toBe(1);
  });

  it("ignores a second event with the same id", async () => {
    await client.send({ name: "test/sequential", id: "dedup-1", data: {} });
    await client.send({ name: "test/sequential", id: "dedup-1", data: {} });
    await runOf("dedup-1", "conformance-sequential");
    const runs = (await handle.db.query.engineRuns.findMany()).filter((r) => r.eventId === "dedup-1");
    expect(runs).toHaveLength(1);
  });

  it("matches only events sent after the wait starts", async () => {
    const [id] = (await client.send({ name: "test/ordering", data: {} })).ids;
    for (let i = 0; i < 100 && !gates.has("ordering"); i++) await new Promise((r) => setTimeout(r, 20));
    await client.send({ name: "test/signal", data: { sent: "before" } });
    gates.get("ordering")!();
    for (let i = 0; i < 100; i++) {
      const run = (await handle.db.query.engineRuns.findMany()).find((r) => r.eventId === id);
      if (run?.status === "waiting") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await client.send({ name: "test/signal", data: { sent: "after" } });
    const run = await runOf(id!, "conformance-ordering");
    expect(run.output).toEqual({ matched: { sent: "after" } });
  });

  it("sleeps for a duration and until a time", async () => {
    const [id] = (await client.send({ name: "test/sleep", data: {} })).ids;
    const run = await runOf(id!, "conformance-sleeper");
    expect(run.status).toBe("completed");
    expect((run.output as { sleptMs: number }).sleptMs).toBeGreaterThanOrEqual(1500);
    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps.filter((s) => s.op === "Sleep")).toHaveLength(2);
  });

  it("invokes another function and returns its result or its error", async () => {
    const [id] = (await client.send({ name: "test/invoke", data: {} })).ids;
    const run = await runOf(id!, "conformance-invoker");
    expect(run.output).toEqual({ doubled: 42, failure: "negative input" });
  });

  it("cancels a run mid-way on a matching cancel event only", async () => {
    const [a] = (await client.send({ name: "test/cancellable", data: { key: "a" } })).ids;
    const [b] = (await client.send({ name: "test/cancellable", data: { key: "b" } })).ids;
    for (let i = 0; i < 100 && (calls["cancellable-first"] ?? 0) < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    await client.send({ name: "test/cancel", data: { key: "a" } });
    expect((await runOf(a!, "conformance-cancellable")).status).toBe("cancelled");
    let other: { status: string } | undefined;
    for (let i = 0; i < 100 && other?.status !== "waiting"; i++) {
      other = (await handle.db.query.engineRuns.findMany()).find((r) => r.eventId === b);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(other?.status).toBe("waiting");
    expect(calls["cancellable-after"]).toBeUndefined();
  });

  it("stops a run cancelled while the SDK runs its steps in one request before its next step", async () => {
    const [id] = (await client.send({ name: "test/stoppable", data: { key: "s" } })).ids;
    for (let i = 0; i < 100 && !gates.has("stoppable"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(calls["stoppable-1"]).toBe(1);
    await client.send({ name: "test/stop-it", data: { key: "s" } });
    gates.get("stoppable")!();
    const run = await runOf(id!, "conformance-stoppable");
    expect(run.status).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 200));
    expect(calls["stoppable-2"]).toBe(1);
    expect(calls["stoppable-3"]).toBeUndefined();
    expect((await getRunDetail(handle.db, run.id))?.steps.map((s) => s.name)).toEqual(["stoppable-1"]);
  });

  it("runs onFailure once retries are exhausted", async () => {
    const [id] = (await client.send({ name: "test/exhausted", data: {} })).ids;
    const run = await runOf(id!, "conformance-exhausted");
    expect(run.status).toBe("failed");
    expect(calls.exhausted).toBe(2);
    const failure = await runOf(`failed-${run.id}`, "conformance-exhausted-failure");
    expect(failure.output).toBeNull();
    expect(calls["exhausted-on-failure"]).toBe(1);
  });

  it("never runs more steps at once than a keyed concurrency limit allows", async () => {
    const events = Array.from({ length: 8 }, (_, i) => ({
      name: "test/limited",
      data: { group: i % 2 ? "x" : "y" },
    }));
    const { ids } = await client.send(events);
    for (const id of ids) await runOf(id, "conformance-limited");
    expect(spans).toHaveLength(8);
    expect(maxOverlap("x")).toBeLessThanOrEqual(2);
    expect(maxOverlap("y")).toBeLessThanOrEqual(2);
    expect(Math.max(maxOverlap("x"), maxOverlap("y"))).toBe(2);
  });

  it("shares an env-scoped keyed limit between functions: per key value, never more steps at once", async () => {
    const events = ["shared-a", "shared-b"].flatMap((id) =>
      ["ann", "ann", "ann", "bob"].map((owner) => ({ name: `test/${id}`, data: { owner } })),
    );
    const { ids } = await client.send(events);
    for (const [i, id] of ids.entries()) await runOf(id, `conformance-${events[i]!.name.slice(5)}`);
    expect(spans.filter((s) => s.group.startsWith("shared:"))).toHaveLength(8);
    expect(maxOverlap("shared:ann")).toBe(2);
    expect(maxOverlap("shared:bob")).toBe(2);
  });

  it("waits as long as RetryAfterError asks before retrying", async () => {
    const [id] = (await client.send({ name: "test/patient", data: {} })).ids;
    const run = await runOf(id!, "conformance-patient");
    expect(run.output).toBe("done");
    expect(retryTimes).toHaveLength(2);
    expect(retryTimes[1]! - retryTimes[0]!).toBeGreaterThanOrEqual(950);
  });

  it("has its requests rejected by the SDK when the signature is forged or missing", async () => {
    const event = { name: "test/sequential", id: "signature-test", data: {}, ts: Date.now() };
    const body = stepRequestBody(event);
    const url = "http://127.0.0.1:3000/api/inngest?fnId=conformance-sequential&stepId=step";
    const post = (headers: Record<string, string>) =>
      handler.POST(
        new Request(url, {
          method: "POST",
          body,
          headers: { "content-type": "application/json", ...headers },
        }) as never,
        undefined as never,
      ) as Promise<Response>;
    expect((await post({})).status).toBe(401);
    expect((await post({ "x-inngest-signature": signRequest(body, "signkey-test-00ff") })).status).toBe(401);
    const accepted = await post({ "x-inngest-signature": signRequest(body, embeddedSigningKey()) });
    expect(accepted.status).toBe(206);
    expect(await accepted.json()).toMatchObject([{ op: "StepRun", name: "a", data: 2 }]);
  });

  it("lists runs, shows a run's step timeline, cancels a waiting run and replays a finished one", async () => {
    const runs = await listRuns(handle.db, { functionId: "conformance-sequential", status: "completed" });
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r) => r.functionId === "conformance-sequential" && r.status === "completed")).toBe(
      true,
    );
    const detail = await getRunDetail(handle.db, runs.at(-1)!.id);
    expect(detail?.steps.map((s) => [s.name, s.op, s.output, s.attempts])).toEqual([
      ["a", "StepRun", "2", 1],
      ["b", "StepRun", "20", 1],
    ]);
    expect(detail?.output).toBe('{"sum":22}');

    const waiting = await listRuns(handle.db, { functionId: "conformance-cancellable", status: "waiting" });
    expect(waiting).toHaveLength(1);
    expect((await getRunDetail(handle.db, waiting[0]!.id))?.waits).toMatchObject([
      { kind: "event", eventName: "test/never-sent" },
    ]);
    expect(await executor.cancelRun(waiting[0]!.id)).toBe(true);
    expect(await executor.cancelRun(waiting[0]!.id)).toBe(false);
    expect((await getRunDetail(handle.db, waiting[0]!.id))?.status).toBe("cancelled");

    const replayId = await executor.replayRun(runs.at(-1)!.id);
    const replayed = await executor.waitForRun(replayId!, 20);
    expect(replayed).toMatchObject({ status: "completed", output: { sum: 22 } });
  });
});
