/**
 * Stopping the executor while the SDK runs a run's sequential steps inside one checkpointed
 * request: the step that finishes during the stop is recorded, the SDK is told to stop (409) before
 * its next step, and a new executor on the same database finishes the run without running the
 * recorded steps again.
 */
import { eq } from "drizzle-orm";
import { Inngest } from "inngest";
import { serve } from "inngest/next";
import { afterAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { engineRuns, engineSteps } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { embeddedClientOptions, embeddedSigningKey } from "./bridge";
import { EmbeddedExecutor, toServeHandler } from "./executor";

const client = new Inngest({ id: "stopping", ...embeddedClientOptions() });
const calls: Record<string, number> = {};
const count = (name: string) => {
  calls[name] = (calls[name] ?? 0) + 1;
};
let release: (() => void) | undefined;
let releaseOther: (() => void) | undefined;

const longRun = client.createFunction(
  { id: "long-run", triggers: [{ event: "test/long-run" }] },
  async ({ step }) => {
    await step.run("first", () => count("first"));
    await step.run("held", async () => {
      count("held");
      if (calls.held === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    await step.run("last", () => count("last"));
    return "done";
  },
);

const otherRun = client.createFunction(
  { id: "other-run", triggers: [{ event: "test/other-run" }] },
  async ({ step }) => {
    await step.run("other-held", () => new Promise<void>((resolve) => (releaseOther = resolve)));
    await step.run("other-last", () => count("other-last"));
    return "other done";
  },
);

const handles: DbHandle[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
});

function startExecutor(handle: DbHandle): Promise<EmbeddedExecutor> {
  const executor = new EmbeddedExecutor({
    db: handle.db,
    signingKey: embeddedSigningKey(),
    handler: toServeHandler(serve({ client, functions: [longRun, otherRun] })),
    pollIntervalMs: 20,
  });
  return executor.start("http://127.0.0.1:3000/api/inngest").then(() => executor);
}

describe(`executor stop (${testDbKind()})`, () => {
  it("records the step finishing during stop, runs no further step, and resumes after a restart", async () => {
    const handle = await openTestDb();
    handles.push(handle);
    const first = await startExecutor(handle);
    const [eventId] = (await client.send({ name: "test/long-run", data: {} })).ids;
    for (let i = 0; i < 250 && !release; i++) await new Promise((r) => setTimeout(r, 20));
    expect(release).toBeDefined();

    const stopped = first.stop();
    release!();
    await stopped;
    const [run] = await handle.db.select().from(engineRuns).where(eq(engineRuns.eventId, eventId!));
    expect(run?.status).toBe("running");
    const recorded = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run!.id));
    expect(recorded.map((s) => s.name).sort()).toEqual(["first", "held"]);
    expect(calls.last).toBeUndefined();

    const second = await startExecutor(handle);
    try {
      const done = await second.waitForRun(run!.id, 20);
      expect(done).toMatchObject({ status: "completed", output: "done" });
      expect(calls).toEqual({ first: 1, held: 1, last: 1 });
    } finally {
      await second.stop();
    }
  });

  it("passes a checkpoint on to the executor that sent the request when another one is installed", async () => {
    const handle = await openTestDb();
    const otherHandle = await openTestDb();
    handles.push(handle, otherHandle);
    const first = await startExecutor(handle);
    const [eventId] = (await client.send({ name: "test/other-run", data: {} })).ids;
    for (let i = 0; i < 250 && !releaseOther; i++) await new Promise((r) => setTimeout(r, 20));
    expect(releaseOther).toBeDefined();
    // A second executor (another database) becomes the bridge's target while the first one's
    // request is still running its steps.
    const second = await startExecutor(otherHandle);
    try {
      releaseOther!();
      const [run] = await handle.db.select().from(engineRuns).where(eq(engineRuns.eventId, eventId!));
      const done = await first.waitForRun(run!.id, 20);
      expect(done).toMatchObject({ status: "completed", output: "other done" });
      expect(calls["other-last"]).toBe(1);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
