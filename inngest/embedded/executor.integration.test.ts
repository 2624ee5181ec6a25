import { eq } from "drizzle-orm";
import { eventType, Inngest, NonRetriableError } from "inngest";
import { serve } from "inngest/next";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { DbHandle } from "@/lib/db";
import { engineSteps } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { embeddedClientOptions, embeddedSigningKey } from "./bridge";
import { EmbeddedExecutor, toServeHandler } from "./executor";

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
      Array.from({ length: 12 }, (_, i) =>
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

const handler = serve({ client, functions: [sequential, parallel, gated, flaky, fatal] });

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
      handler: toServeHandler(handler),
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

  it("runs Promise.all steps in parallel, each exactly once", async () => {
    const [id] = (await client.send({ name: "test/parallel", data: {} })).ids;
    const run = await runOf(id!, "conformance-parallel");
    expect(run.output).toBe(Array.from({ length: 12 }, (_, i) => i * i).reduce((s, v) => s + v, 0));
    expect(calls.par).toBe(12);
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
});
