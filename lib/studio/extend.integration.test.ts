/**
 * Extensions end to end: the embedded executor runs produce-video (a finished 2-segment parent,
 * gates approved) and extend-video against a test database, the local providers and real ffmpeg;
 * the HTTP route is called as Next.js calls it. Outputs are checked with ffprobe, sha256, rows and
 * the credit ledger.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as postExtend } from "@/app/api/v1/jobs/[id]/extend/route";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { balance, getReservation, grant, InsufficientCreditsError } from "@/lib/credits/ledger";
import { estimateExtension } from "@/lib/credits/pricing";
import { insertJob, insertUser } from "@/lib/credits/test-fixtures";
import type { DbHandle } from "@/lib/db";
import { assets, engineRuns, type Job, jobEvents, jobs } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { RateLimitedError } from "@/lib/limits/rate-limited-error";
import { getProviders, type RenderImageInput } from "@/lib/providers";
import { ProviderError } from "@/lib/providers/errors";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import { extensionReservationKey, requestExtension } from "./extend";
import {
  approveGate,
  createJob,
  ensureLocalOwner,
  GATE_STATUS,
  getJobView,
  type JobView,
  type StudioDeps,
} from "./jobs";

const SEGMENT_SECONDS = 2;
const FRAME = 1 / 24;
/** The image provider refuses any segment whose text contains this word. */
const REFUSED_WORD = "unpaintable";

let handle: DbHandle;
let runtime: Runtime;
let executor: EmbeddedExecutor;
let deps: StudioDeps;
let ownerId: string;
/** A finished 2 × 2 s job of the local owner, made once. */
let parent: JobView;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-extend-"));

async function until(
  jobId: string,
  done: (view: JobView) => boolean,
  what = "the condition",
): Promise<JobView> {
  for (let i = 0; i < 1200; i++) {
    const view = await getJobView(handle.db, jobId);
    if (done(view)) return view;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} of job ${jobId}`);
}

/** Runs a job to completion, approving each gate as it opens. */
async function finishJob(jobId: string): Promise<JobView> {
  for (const gate of ["script", "images", "clips"] as const) {
    await until(jobId, (v) => v.job.status === GATE_STATUS[gate] || v.job.status === "failed", gate);
    await approveGate(deps, jobId, gate, "test");
  }
  const view = await until(jobId, (v) => ["completed", "failed"].includes(v.job.status), "completion");
  expect(view.job.error).toBeNull();
  return view;
}

function ffprobeSeconds(file: string): number {
  const out = execFileSync(
    "ffprobe",
    ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file],
    {
      encoding: "utf8",
    },
  );
  return Number(out.trim());
}

function sha256Of(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function videoPathOf(view: JobView): string {
  if (!view.finalAsset) throw new Error(`job ${view.job.id} has no video`);
  return runtime.store.pathOf(view.finalAsset.storageKey);
}

/** The subtitle cues of a video as WebVTT text. */
function captionsOf(file: string): string {
  return execFileSync("ffmpeg", ["-v", "error", "-i", file, "-map", "0:s:0", "-f", "webvtt", "-"], {
    encoding: "utf8",
  });
}

async function extendAndFinish(parentId: string, prompt: string) {
  const job = await requestExtension(deps, ownerId, parentId, { prompt }, "test");
  const view = await until(job.id, (v) => ["completed", "failed"].includes(v.job.status), "completion");
  return { job, view };
}

describe(`extensions (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    const providers = getProviders({});
    const image = {
      ...providers.image,
      name: providers.image.name,
      renderImage: async (input: RenderImageInput) => {
        if (`${input.prompt} ${input.caption}`.toLowerCase().includes(REFUSED_WORD)) {
          throw new ProviderError({ kind: "invalid", provider: "Test images", reason: "unpaintable" });
        }
        return providers.image.renderImage(input);
      },
    };
    runtime = await createRuntime({ dbHandle: handle, dataDir, providers: { ...providers, image } });
    setRuntime(runtime);
    executor = await startEmbeddedEngine({ db: handle.db });
    deps = { db: handle.db, sendEvent: (e) => inngest.send(e) };
    ownerId = await ensureLocalOwner(handle.db);
    await grant(handle.db, { userId: ownerId, amount: 10_000, key: "extend-test-topup" });
    const job = await createJob(deps, ownerId, {
      topic: "Paper boats",
      segmentCount: 2,
      segmentSeconds: SEGMENT_SECONDS,
      language: "en",
    });
    parent = await finishJob(job.id);
  }, 300_000);
  afterAll(async () => {
    await executor?.stop();
    setRuntime(undefined);
    await handle?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("extends a finished video by one crossfaded segment, then extends the extension", async () => {
    const parentFile = videoPathOf(parent);
    const parentSha = sha256Of(parentFile);
    const parentSeconds = ffprobeSeconds(parentFile);
    expect(Math.abs(parentSeconds - (2 * SEGMENT_SECONDS - 0.5))).toBeLessThanOrEqual(FRAME);
    const price = estimateExtension(SEGMENT_SECONDS);
    const before = await balance(handle.db, ownerId);

    const { job, view } = await extendAndFinish(
      parent.job.id,
      "  And then the boats sail into the sunset.  ",
    );
    expect(job).toMatchObject({
      source: "extension",
      parentJobId: parent.job.id,
      topic: "And then the boats sail into the sunset.",
      segmentCount: 1,
      segmentSeconds: SEGMENT_SECONDS,
      aspect: "16:9",
      language: "en",
      status: "queued",
    });
    expect(view.job.status).toBe("completed");
    expect(view.segments).toHaveLength(1);
    expect(view.segments[0]).toMatchObject({
      index: 0,
      narration: "And then the boats sail into the sunset.",
      imageStatus: "ready",
      clipStatus: "ready",
    });
    expect(view.segments[0]!.narrationAssetId).toBeTruthy();

    const extended = videoPathOf(view);
    const seconds = ffprobeSeconds(extended);
    expect(Math.abs(seconds - (parentSeconds + SEGMENT_SECONDS - 0.5))).toBeLessThanOrEqual(FRAME);
    expect(view.finalAsset!.id).not.toBe(parent.finalAsset!.id);
    expect(captionsOf(extended)).toContain("And then the boats sail into the sunset.");
    // The parent's file and row are untouched.
    expect(sha256Of(parentFile)).toBe(parentSha);
    const [parentAsset] = await handle.db.select().from(assets).where(eq(assets.id, parent.finalAsset!.id));
    expect(parentAsset!.sha256).toBe(parentSha);
    expect((await getJobView(handle.db, parent.job.id)).job.finalAssetId).toBe(parent.finalAsset!.id);

    // Credits: the price reserved and captured in full.
    expect(await getReservation(handle.db, extensionReservationKey(job.id))).toMatchObject({
      reserved: price,
      captured: price,
      remaining: 0,
    });
    expect(await balance(handle.db, ownerId)).toEqual({
      available: before.available - price,
      reserved: before.reserved,
    });

    // Delivery is triggered like for any finished job (announced by the step after "extend").
    const delivered = async () => {
      const runs = await handle.db
        .select()
        .from(engineRuns)
        .where(eq(engineRuns.functionId, "kadr-deliver-video"));
      return runs.some((r) => (r.event.data as { jobId: string }).jobId === job.id);
    };
    for (let i = 0; i < 100 && !(await delivered()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await delivered()).toBe(true);

    // A chain: extending the extension extends the longer video.
    const second = await extendAndFinish(job.id, "Finally the harbour lights go out.");
    expect(second.job.parentJobId).toBe(job.id);
    expect(second.view.job.status).toBe("completed");
    const chainSeconds = ffprobeSeconds(videoPathOf(second.view));
    expect(Math.abs(chainSeconds - (seconds + SEGMENT_SECONDS - 0.5))).toBeLessThanOrEqual(FRAME);
    // The first extension's video is untouched by the second.
    expect(sha256Of(extended)).toBe(await assetSha(view.finalAsset!.id));
    expect(await balance(handle.db, ownerId)).toEqual({
      available: before.available - 2 * price,
      reserved: before.reserved,
    });
  });

  it("fails the extension on a provider refusal and releases its credits", async () => {
    const before = await balance(handle.db, ownerId);
    const { job, view } = await extendAndFinish(parent.job.id, `An ${REFUSED_WORD} scene.`);
    expect(view.job.status).toBe("failed");
    expect(view.job.error).toMatch(/Test images/);
    expect(view.job.finalAssetId).toBeNull();
    // onFailure books the release in the step that marks the job failed, so it may land a moment later.
    const key = extensionReservationKey(job.id);
    for (let i = 0; i < 100 && (await getReservation(handle.db, key)).remaining > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await getReservation(handle.db, key)).toMatchObject({
      reserved: estimateExtension(SEGMENT_SECONDS),
      captured: 0,
      released: estimateExtension(SEGMENT_SECONDS),
      remaining: 0,
    });
    expect(await balance(handle.db, ownerId)).toEqual(before);
  });

  it("refuses bad prompts, unknown, foreign and unfinished parents with clear errors", async () => {
    const cases: [unknown, RegExp][] = [
      [{ prompt: "   " }, /The prompt is empty/],
      [{ prompt: "x".repeat(1001) }, /longer than 1000 characters/],
      [{}, /The prompt must be text/],
    ];
    for (const [input, message] of cases) {
      const error = await requestExtension(deps, ownerId, parent.job.id, input as never, "test").catch(
        (e) => e,
      );
      expect(error).toMatchObject({ code: "bad_input" });
      expect(error.message).toMatch(message);
    }
    await expect(
      requestExtension(deps, ownerId, "NoSuchJob123", { prompt: "x" }, "test"),
    ).rejects.toMatchObject({
      code: "not_found",
      message: "No job NoSuchJob123",
    });
    const stranger = await insertUser(handle.db, "Stranger");
    await expect(
      requestExtension(deps, stranger, parent.job.id, { prompt: "x" }, "test"),
    ).rejects.toMatchObject({
      code: "not_found",
    });
    const queued = await insertJob(handle.db, ownerId, { status: "awaiting_images_approval" });
    await expect(requestExtension(deps, ownerId, queued, { prompt: "x" }, "test")).rejects.toMatchObject({
      code: "conflict",
      message: `Job ${queued} is awaiting images approval: only a finished video can be extended`,
    });
    await handle.db.delete(jobs).where(eq(jobs.id, queued));
  });

  it("stores nothing without enough credits or at a job limit", async () => {
    const user = await insertUser(handle.db, "Poor user");
    const userParent = await insertCompletedParent(user);
    const error = await requestExtension(deps, user, userParent, { prompt: "More, please." }, "test").catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).toMatchObject({ needed: estimateExtension(SEGMENT_SECONDS), balance: 0 });
    expect(await childrenOf(userParent)).toEqual([]);
    expect(await balance(handle.db, user)).toEqual({ available: 0, reserved: 0 });

    await grant(handle.db, { userId: user, amount: 100, key: "poor-user-topup" });
    await insertJob(handle.db, user, { status: "queued" });
    const limited = await requestExtension(deps, user, userParent, { prompt: "More, please." }, "test", {
      limits: { maxActiveJobs: 1, maxJobsPerHour: 10 },
    }).catch((e) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(await childrenOf(userParent)).toEqual([]);
    expect(await balance(handle.db, user)).toEqual({ available: 100, reserved: 0 });
  });

  it("removes the job and releases the credits when the event cannot be sent", async () => {
    const before = await balance(handle.db, ownerId);
    const failing: StudioDeps = {
      db: handle.db,
      sendEvent: async () => {
        throw new Error("engine down");
      },
    };
    await expect(
      requestExtension(failing, ownerId, parent.job.id, { prompt: "Lost." }, "test"),
    ).rejects.toThrow("engine down");
    const lost = (await childrenOf(parent.job.id)).filter((j) => j.topic === "Lost.");
    expect(lost).toEqual([]);
    expect(await balance(handle.db, ownerId)).toEqual(before);
  });

  it("POST /api/v1/jobs/:id/extend answers 201 with the job, and 400/404/409 with {code, message}", async () => {
    const call = (id: string, body: string) =>
      postExtend(
        new Request(`http://127.0.0.1:3210/api/v1/jobs/${id}/extend`, {
          method: "POST",
          body,
          headers: { host: "127.0.0.1:3210", "content-type": "application/json" },
        }),
        { params: Promise.resolve({ id }) },
      );
    const created = await call(parent.job.id, JSON.stringify({ prompt: "One more scene." }));
    expect(created.status).toBe(201);
    const body = (await created.json()) as Job & { createdAt: string };
    expect(body).toMatchObject({
      source: "extension",
      parentJobId: parent.job.id,
      topic: "One more scene.",
      segmentCount: 1,
      status: "queued",
      ownerId,
    });
    expect(typeof body.createdAt).toBe("string");
    const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, body.id));
    expect(row?.parentJobId).toBe(parent.job.id);
    const events = await handle.db.select().from(jobEvents).where(eq(jobEvents.jobId, body.id));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["status", "extension"]));

    const empty = await call(parent.job.id, JSON.stringify({ prompt: "" }));
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      code: "bad_input",
      message: "The prompt is empty: write what the new segment says",
    });
    const unknown = await call("NoSuchJob123", JSON.stringify({ prompt: "x" }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: "not_found", message: "No job NoSuchJob123" });
    // The extension just created is not finished yet.
    const unfinished = await call(body.id, JSON.stringify({ prompt: "x" }));
    expect(unfinished.status).toBe(409);
    expect(await unfinished.json()).toEqual({
      code: "conflict",
      message: expect.stringMatching(
        new RegExp(`^Job ${body.id} is .+: only a finished video can be extended$`),
      ),
    });
    const done = await until(body.id, (v) => ["completed", "failed"].includes(v.job.status), "completion");
    expect(done.job.status).toBe("completed");
    const extended = ffprobeSeconds(videoPathOf(done));
    expect(
      Math.abs(extended - (ffprobeSeconds(videoPathOf(parent)) + SEGMENT_SECONDS - 0.5)),
    ).toBeLessThanOrEqual(FRAME);
  });
});

async function assetSha(assetId: string): Promise<string> {
  const [row] = await handle.db.select().from(assets).where(eq(assets.id, assetId));
  return row!.sha256;
}

async function childrenOf(parentId: string) {
  return handle.db.select().from(jobs).where(eq(jobs.parentJobId, parentId));
}

/** A completed 2 × 2 s job of `owner` whose final video is the shared parent's. */
async function insertCompletedParent(owner: string): Promise<string> {
  const id = await insertJob(handle.db, owner, { status: "completed" });
  await handle.db
    .update(jobs)
    .set({ segmentCount: 2, segmentSeconds: SEGMENT_SECONDS, finalAssetId: parent.finalAsset!.id })
    .where(eq(jobs.id, id));
  return id;
}
