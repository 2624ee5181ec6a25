/**
 * The executor against serve() over real HTTP: `inngest/node`'s serve() listens on 127.0.0.1 (a
 * random port) and the executor has no in-process handler, so the function sync (PUT) and every
 * step request go over the network, with checkpointing off (its default without a handler, since
 * checkpoints reach the executor only through the in-process bridge). A multi-step run (sequential
 * steps, a parallel group, a sleep) completes with one memo row per step, and serve() still refuses
 * a forged or missing signature over HTTP (401).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { engineFunctions, engineRuns, engineSteps } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { embeddedClientOptions, embeddedSigningKey } from "./bridge";
import { EmbeddedExecutor, signRequest } from "./executor";
import { stepRequestBody } from "./test-support";

const client = new Inngest({ id: "over-http", ...embeddedClientOptions() });
const calls: Record<string, number> = {};
const count = (name: string) => {
  calls[name] = (calls[name] ?? 0) + 1;
};

const pipeline = client.createFunction(
  { id: "pipeline", triggers: [{ event: "http/pipeline" }] },
  async ({ event, step }) => {
    const base = await step.run("load", () => {
      count("load");
      return (event.data as { n: number }).n;
    });
    const doubled = await step.run("double", () => {
      count("double");
      return base * 2;
    });
    const fan = await Promise.all(
      [1, 2, 3].map((k) =>
        step.run(`times-${k}`, () => {
          count(`times-${k}`);
          return doubled * k;
        }),
      ),
    );
    const before = await step.run("before-sleep", () => Date.now());
    await step.sleep("pause", "1s");
    const after = await step.run("after-sleep", () => {
      count("after-sleep");
      return Date.now();
    });
    return { fan, sleptMs: after - before };
  },
);

/** Requests serve() received over HTTP, as "<method> <stepId>". */
const received: string[] = [];
const listener = serve({ client, functions: [pipeline] });
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  received.push(`${req.method} ${url.searchParams.get("stepId") ?? ""}`);
  return listener(req, res);
});

let handle: DbHandle;
let executor: EmbeddedExecutor;
let serveUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serveUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`;
  handle = await openTestDb();
  executor = new EmbeddedExecutor({
    db: handle.db,
    signingKey: embeddedSigningKey(),
    backoffBaseMs: 20,
    pollIntervalMs: 20,
  });
  await executor.start(serveUrl);
});
afterAll(async () => {
  await executor.stop();
  await handle.close();
  await new Promise((resolve) => server.close(resolve));
});

describe(`executor over HTTP (${testDbKind()})`, () => {
  it("syncs over HTTP and records the served URL as the function's step URL", async () => {
    expect(received).toContain("PUT ");
    const [fn] = await handle.db.select().from(engineFunctions);
    expect(fn?.id).toBe("over-http-pipeline");
    expect(new URL(fn!.url).host).toBe(new URL(serveUrl).host);
  });

  it("runs sequential steps, a parallel group and a sleep, one HTTP request per step", async () => {
    const postsBefore = received.filter((r) => r.startsWith("POST")).length;
    const [id] = (await client.send({ name: "http/pipeline", data: { n: 5 } })).ids;
    let runId: string | undefined;
    for (let i = 0; i < 100 && !runId; i++) {
      [{ id: runId } = { id: undefined }] = await handle.db
        .select({ id: engineRuns.id })
        .from(engineRuns)
        .where(eq(engineRuns.eventId, id!));
      if (!runId) await new Promise((r) => setTimeout(r, 20));
    }
    const run = await executor.waitForRun(runId!, 20);
    expect(run.status).toBe("completed");
    const output = run.output as { fan: number[]; sleptMs: number };
    expect(output.fan).toEqual([10, 20, 30]);
    expect(output.sleptMs).toBeGreaterThanOrEqual(1000);
    for (const name of ["load", "double", "times-1", "times-2", "times-3", "after-sleep"])
      expect(calls[name], name).toBe(1);

    const steps = await handle.db.select().from(engineSteps).where(eq(engineSteps.runId, run.id));
    expect(steps.map((s) => [s.name, s.op]).sort()).toEqual(
      [
        ["after-sleep", "StepRun"],
        ["before-sleep", "StepRun"],
        ["double", "StepRun"],
        ["load", "StepRun"],
        ["pause", "Sleep"],
        ["times-1", "StepRun"],
        ["times-2", "StepRun"],
        ["times-3", "StepRun"],
      ].sort(),
    );
    expect(steps.find((s) => s.name === "times-2")?.result).toEqual({ data: 20 });
    // Without checkpointing every step is its own request: 4 sequential steps and the sleep from
    // discovery requests (stepId=step), and each parallel step by its hashed id.
    const posts = received.filter((r) => r.startsWith("POST")).slice(postsBefore);
    expect(posts.filter((r) => r === "POST step").length).toBeGreaterThanOrEqual(6);
    expect(posts.filter((r) => r !== "POST step")).toHaveLength(3);
  });

  it("has a forged or missing signature refused by serve() over HTTP", async () => {
    const event = { name: "http/pipeline", id: "forged", data: { n: 1 }, ts: Date.now() };
    const body = stepRequestBody(event);
    const url = `${serveUrl}?fnId=over-http-pipeline&stepId=step`;
    const post = (headers: Record<string, string>) =>
      fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    const forged = await post({ "x-inngest-signature": signRequest(body, "signkey-test-00ff") });
    expect(forged.status).toBe(401);
    expect((await post({})).status).toBe(401);
    const stale = await post({
      "x-inngest-signature": signRequest(body, embeddedSigningKey(), Math.round(Date.now() / 1000) - 3600),
    });
    expect(stale.status).toBe(401);
    const signed = await post({ "x-inngest-signature": signRequest(body, embeddedSigningKey()) });
    expect(signed.status).toBe(206);
    expect(await signed.json()).toMatchObject([{ op: "StepRun", name: "load", data: 1 }]);
    expect(calls.load).toBe(2);
  });
});
