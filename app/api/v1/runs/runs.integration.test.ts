/**
 * The Runs API as Next.js calls it, against a real embedded executor driving produce-video: only
 * engine admins (local owner, KADR_ADMIN_TELEGRAM_IDS) see runs; the timeline shows the steps and
 * the wait; cancel and replay act on the executor.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sign } from "@tma.js/init-data-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { POST as cancelRunRoute } from "@/app/api/v1/runs/[id]/cancel/route";
import { POST as replayRunRoute } from "@/app/api/v1/runs/[id]/replay/route";
import { GET as getRunRoute } from "@/app/api/v1/runs/[id]/route";
import { GET as listRunsRoute } from "@/app/api/v1/runs/route";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import type { DbHandle } from "@/lib/db";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import type { RunDetailJson, RunSummaryJson } from "@/lib/http/runs-json";
import { createRuntime, setRuntime } from "@/lib/runtime";
import { createJob, ensureLocalOwner, getJobView } from "@/lib/studio/jobs";

const BOT_TOKEN = "777000:KADR-runs-test";
const ORIGIN = "http://127.0.0.1:3210";
const savedEnv = { ...process.env };
let handle: DbHandle;
let executor: EmbeddedExecutor;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-runs-api-"));

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

function call<P>(
  handler: Handler<P>,
  urlPath: string,
  init: { method?: string; params?: P; auth?: string } = {},
) {
  const headers = new Headers({ host: "127.0.0.1:3210", origin: ORIGIN });
  if (init.auth) headers.set("authorization", init.auth);
  const request = new Request(`${ORIGIN}${urlPath}`, { method: init.method ?? "GET", headers });
  return handler(request, { params: Promise.resolve((init.params ?? {}) as P) });
}

function tmaAuth(telegramId: number): string {
  const initData = sign({ user: { id: telegramId, first_name: "Admin" } } as never, BOT_TOKEN, new Date());
  return `tma ${initData}`;
}

describe(`Runs API (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    setRuntime(await createRuntime({ dbHandle: handle, dataDir }));
    executor = await startEmbeddedEngine({ db: handle.db });
  });
  afterAll(async () => {
    await executor.stop();
    setRuntime(undefined);
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(() => {
    process.env = { ...savedEnv };
  });

  it("shows a waiting pipeline run to the local owner, cancels it once and replays it", async () => {
    delete process.env.TELEGRAM_BOT_TOKEN;
    const ownerId = await ensureLocalOwner(handle.db);
    const job = await createJob({ db: handle.db, sendEvent: (e) => inngest.send(e) }, ownerId, {
      topic: "Runs page",
      segmentCount: 2,
      segmentSeconds: 2,
    });
    for (
      let i = 0;
      i < 200 && (await getJobView(handle.db, job.id)).job.status !== "awaiting_script_approval";
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    let runs: RunSummaryJson[] = [];
    for (let i = 0; i < 100 && runs[0]?.status !== "waiting"; i++) {
      const list = await call(listRunsRoute, "/api/v1/runs?function=kadr-produce-video");
      expect(list.status).toBe(200);
      runs = ((await list.json()) as { runs: RunSummaryJson[] }).runs;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      functionId: "kadr-produce-video",
      eventName: "video/job.created",
      status: "waiting",
    });

    const detail = (await (
      await call(getRunRoute, `/api/v1/runs/${runs[0]!.id}`, { params: { id: runs[0]!.id } })
    ).json()) as RunDetailJson;
    expect(detail.steps.map((s) => s.name)).toEqual(["write-script", "open-script-gate"]);
    expect(detail.waits).toMatchObject([{ kind: "event", eventName: "video/script.approved" }]);

    const cancel = () =>
      call(cancelRunRoute, `/api/v1/runs/${runs[0]!.id}/cancel`, {
        method: "POST",
        params: { id: runs[0]!.id },
      });
    expect((await cancel()).status).toBe(200);
    const again = await cancel();
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: "conflict" });

    const replay = await call(replayRunRoute, `/api/v1/runs/${runs[0]!.id}/replay`, {
      method: "POST",
      params: { id: runs[0]!.id },
    });
    expect(replay.status).toBe(201);
    const { runId } = (await replay.json()) as { runId: string };
    expect(runId).not.toBe(runs[0]!.id);
    expect((await call(getRunRoute, `/api/v1/runs/missing`, { params: { id: "missing" } })).status).toBe(404);
  });

  it("refuses Telegram users who are not engine admins and admits listed ones", async () => {
    process.env.TELEGRAM_BOT_TOKEN = BOT_TOKEN;
    process.env.KADR_SESSION_SECRET = "runs-test-session-secret";
    process.env.KADR_ADMIN_TELEGRAM_IDS = "424242";
    const refused = await call(listRunsRoute, "/api/v1/runs", { auth: tmaAuth(1001) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      code: "forbidden",
      message: "Only Kadr's administrators can see the engine's runs",
    });
    const admitted = await call(listRunsRoute, "/api/v1/runs", { auth: tmaAuth(424242) });
    expect(admitted.status).toBe(200);
    expect(((await admitted.json()) as { runs: unknown[] }).runs.length).toBeGreaterThanOrEqual(2);
  });
});
