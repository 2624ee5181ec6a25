/**
 * Credits through the real pipeline: createJob reserves each paid stage, the produce-video run
 * (embedded executor, local providers) captures what each stage spent, and failure, cancellation
 * and a gate timeout release the rest. Amounts follow DEFAULT_PRICES: a 2 × 5 s job reserves
 * script 2 + images 2 + clips 4 + narration 2 = 10 credits.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { balance, grant, InsufficientCreditsError, openReservations } from "@/lib/credits/ledger";
import { insertUser } from "@/lib/credits/test-fixtures";
import type { DbHandle } from "@/lib/db";
import { assets, creditLedger, engineWaits, jobEvents, jobs, segments } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { RateLimitedError } from "@/lib/limits/rate-limited-error";
import { type AnimateImageInput, getProviders } from "@/lib/providers";
import { ProviderError } from "@/lib/providers/errors";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import {
  approveGate,
  cancelJob,
  createJob,
  ensureLocalOwner,
  getJobView,
  type JobView,
  requestRegeneration,
  type StudioDeps,
} from "./jobs";
import { derivedCacheKeysOf } from "./thumbnails";

let handle: DbHandle;
let executor: EmbeddedExecutor;
let runtime: Runtime;
let deps: StudioDeps;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-credits-"));
/** Clips for topics containing this word fail with bad credentials (a non-retriable job failure). */
const FAIL_CLIPS = "unlucky";

const FORMAT = { segmentCount: 2, segmentSeconds: 5, language: "en" } as const;

async function until(jobId: string, done: (view: JobView) => boolean): Promise<JobView> {
  for (let i = 0; i < 900; i++) {
    const view = await getJobView(handle.db, jobId);
    if (done(view)) return view;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out; job is ${(await getJobView(handle.db, jobId)).job.status}`);
}

async function userWith(credits: number): Promise<string> {
  const userId = await insertUser(handle.db);
  if (credits) await grant(handle.db, { userId, amount: credits, key: `test:${userId}` });
  return userId;
}

/** Σ of the job's entries of one kind, as a positive number. */
async function sumOf(jobId: string, kind: "reserve" | "capture" | "release"): Promise<number> {
  const [row] = await handle.db
    .select({ total: sql<number>`coalesce(sum(abs(${creditLedger.amount})), 0)::int` })
    .from(creditLedger)
    .where(and(eq(creditLedger.jobId, jobId), eq(creditLedger.kind, kind)));
  return Number(row?.total ?? 0);
}

describe(`credits through the pipeline (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    const providers = getProviders({});
    const video = {
      ...providers.video,
      name: providers.video.name,
      animateImage: async (input: AnimateImageInput) => {
        if (
          input.motionPrompt.toLowerCase().includes(FAIL_CLIPS) ||
          String(input.seed).includes(FAIL_CLIPS)
        ) {
          throw new ProviderError({ kind: "auth", provider: "Test video", reason: "invalid_api_key" });
        }
        return providers.video.animateImage(input);
      },
    };
    runtime = await createRuntime({
      dbHandle: handle,
      dataDir,
      providers: { ...providers, video },
      policy: { limits: { maxActiveJobs: 3, maxJobsPerHour: 100 } },
    });
    setRuntime(runtime);
    executor = await startEmbeddedEngine({ db: handle.db });
    deps = { db: handle.db, sendEvent: (e) => inngest.send(e), policy: runtime.policy };
  });
  afterAll(async () => {
    await executor.stop();
    setRuntime(undefined);
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("reserves every paid stage at creation and captures exactly what a finished job spent", async () => {
    const userId = await userWith(50);
    const job = await createJob(deps, userId, { topic: "Paper lanterns", ...FORMAT });
    expect(await balance(handle.db, userId)).toEqual({ available: 40, reserved: 10 });
    const reservations = await openReservations(handle.db, userId);
    expect(reservations.map((r) => [r.key, r.reserved])).toEqual([
      [`job:${job.id}:script`, 2],
      [`job:${job.id}:images`, 2],
      [`job:${job.id}:clips`, 4],
      [`job:${job.id}:narration`, 2],
    ]);

    await until(job.id, (v) => v.job.status === "awaiting_script_approval");
    await approveGate(deps, job.id, "script", "test");
    await until(job.id, (v) => v.job.status === "awaiting_images_approval");
    // The script and both images are spent; the clips and narration are still held.
    expect(await sumOf(job.id, "capture")).toBe(4);
    // A regeneration costs one image more, reserved at once and captured when the take is ready.
    await requestRegeneration(deps, job.id, 0, "image", "test");
    await until(job.id, (v) => v.segments[0]!.imageStatus === "ready");
    expect(await sumOf(job.id, "capture")).toBe(5);
    await approveGate(deps, job.id, "images", "test");
    await until(job.id, (v) => v.job.status === "awaiting_clips_approval");
    await approveGate(deps, job.id, "clips", "test");
    await until(job.id, (v) => v.job.status === "completed");

    expect(await sumOf(job.id, "capture")).toBe(11);
    expect(await balance(handle.db, userId)).toEqual({ available: 39, reserved: 0 });
    expect(await openReservations(handle.db, userId)).toEqual([]);
  });

  it("refuses a job the user cannot pay for with the amount needed, and stores nothing", async () => {
    const userId = await userWith(9);
    const error = await createJob(deps, userId, { topic: "Too dear", ...FORMAT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).toMatchObject({ code: "insufficient_credits", needed: 10, balance: 9, status: 402 });
    expect(await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId))).toEqual([]);
    expect(await handle.db.select().from(creditLedger).where(eq(creditLedger.userId, userId))).toHaveLength(
      1,
    );
    expect(await balance(handle.db, userId)).toEqual({ available: 9, reserved: 0 });
  });

  it("gives the reservations back and keeps no job when the pipeline cannot be started", async () => {
    const userId = await userWith(10);
    const down = { ...deps, sendEvent: async () => Promise.reject(new Error("engine down")) };
    await expect(createJob(down, userId, { topic: "Offline", ...FORMAT })).rejects.toThrow("engine down");
    expect(await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId))).toEqual([]);
    expect(await balance(handle.db, userId)).toEqual({ available: 10, reserved: 0 });
  });

  it("enforces the active-job limit for users but not for the local owner", async () => {
    const userId = await userWith(1000);
    const limited = { ...deps, policy: { limits: { maxActiveJobs: 1, maxJobsPerHour: 100 } } };
    const first = await createJob(limited, userId, { topic: "One", ...FORMAT });
    const error = await createJob(limited, userId, { topic: "Two", ...FORMAT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 60 });
    expect(await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId))).toHaveLength(1);
    await cancelJob(deps, first.id, "test");

    const ownerId = await ensureLocalOwner(handle.db);
    const owned = [];
    for (const topic of ["A", "B"]) owned.push(await createJob(limited, ownerId, { topic, ...FORMAT }));
    for (const job of owned) await cancelJob(deps, job.id, "test");
  });

  it("a failure mid-job refunds exactly the unspent part", async () => {
    const userId = await userWith(10);
    const job = await createJob(deps, userId, { topic: `An ${FAIL_CLIPS} voyage`, ...FORMAT });
    await until(job.id, (v) => v.job.status === "awaiting_script_approval");
    await handle.db
      .update(segments)
      .set({ motionPrompt: sql`${segments.motionPrompt} || ${` ${FAIL_CLIPS}`}` })
      .where(eq(segments.jobId, job.id));
    await approveGate(deps, job.id, "script", "test");
    await until(job.id, (v) => v.job.status === "awaiting_images_approval");
    await handle.db
      .update(segments)
      .set({ motionPrompt: sql`${segments.motionPrompt} || ${` ${FAIL_CLIPS}`}` })
      .where(eq(segments.jobId, job.id));
    await approveGate(deps, job.id, "images", "test");
    const failed = await until(job.id, (v) => v.job.status === "failed");
    expect(failed.job.error).toMatch(/Test video/);
    // Spent: the script (2) and two images (2); clips (4) and narration (2) are back.
    expect(await sumOf(job.id, "capture")).toBe(4);
    expect(await balance(handle.db, userId)).toEqual({ available: 6, reserved: 0 });
  });

  it("a gate that times out expires the job, releases everything and tells the user", async () => {
    const userId = await userWith(10);
    const job = await createJob(deps, userId, { topic: "Forgotten kites", ...FORMAT });
    await until(job.id, (v) => v.job.status === "awaiting_script_approval");
    // Time passes: the wait's deadline is moved into the past instead of sleeping 24 hours.
    const moved = await handle.db
      .update(engineWaits)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(sql`${engineWaits.stepName} = 'wait-script-approval' and ${engineWaits.runId} in (
        select id from engine_runs where event->'data'->>'jobId' = ${job.id})`)
      .returning({ id: engineWaits.id });
    expect(moved).toHaveLength(1);
    const expired = await until(job.id, (v) => v.job.status === "expired");
    expect(expired.job.error).toBe("No script approval within 24h");
    const events = await handle.db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id));
    expect(events.map((e) => e.type)).toContain("expired");
    expect(await balance(handle.db, userId)).toEqual({ available: 10, reserved: 0 });
    await expect(approveGate(deps, job.id, "script", "test")).rejects.toMatchObject({ code: "conflict" });
  });

  it("cancelling releases the credits at once and removes the files only this job used", async () => {
    const userId = await userWith(10);
    const job = await createJob(deps, userId, { topic: "Rejected rafts", ...FORMAT });
    await until(job.id, (v) => v.job.status === "awaiting_script_approval");
    await approveGate(deps, job.id, "script", "test");
    const gate = await until(job.id, (v) => v.job.status === "awaiting_images_approval");
    const images = await handle.db
      .select()
      .from(assets)
      .where(
        inArray(
          assets.id,
          gate.segments.map((s) => s.imageAssetId!),
        ),
      );
    const thumbs = await handle.db
      .select()
      .from(assets)
      .where(inArray(assets.cacheKey, images.flatMap(derivedCacheKeysOf)));
    expect(thumbs.map((t) => t.kind)).toEqual(["thumbnail", "thumbnail"]);
    // The images and their grid thumbnails.
    const keys = [...gate.segments.map((s) => s.imageStorageKey!), ...thumbs.map((t) => t.storageKey)];
    for (const key of keys) expect(await runtime.store.exists(key)).toBe(true);

    await cancelJob(deps, job.id, "test");
    expect(await balance(handle.db, userId)).toEqual({ available: 6, reserved: 0 });
    for (let i = 0; i < 100 && (await runtime.store.exists(keys.at(-1)!)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const key of keys) expect(await runtime.store.exists(key)).toBe(false);
    expect(await handle.db.select().from(assets).where(inArray(assets.storageKey, keys))).toEqual([]);
  });
});
