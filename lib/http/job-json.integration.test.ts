import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grant } from "@/lib/credits/ledger";
import type { DbHandle } from "@/lib/db";
import { assets, jobs, providerCalls, segments, users } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import { SAFETY_MESSAGE } from "@/lib/providers/errors";
import { createJob, ensureLocalOwner, type StudioDeps } from "@/lib/studio/jobs";
import { getJobViewJson, listJobSummaries, mediaUrl } from "./job-json";

let handle: DbHandle;
let deps: StudioDeps;
let ownerId: string;
const imageKey = `image/ab/${"ab".repeat(32)}.png`;

beforeAll(async () => {
  handle = await openTestDb();
  deps = { db: handle.db, sendEvent: async () => undefined };
  ownerId = await ensureLocalOwner(handle.db);
});

afterAll(async () => {
  await handle.close();
});

describe("job JSON", () => {
  it("summarizes jobs newest first with gate, finality, counts and thumbnail URLs", async () => {
    const older = await createJob(deps, ownerId, { topic: "Older", segmentCount: 2 });
    const newer = await createJob(deps, ownerId, { topic: "Lighthouse at dawn", segmentCount: 2 });
    await deps.db.update(jobs).set({ status: "awaiting_images_approval" }).where(eq(jobs.id, newer.id));
    await deps.db.update(jobs).set({ status: "cancelled" }).where(eq(jobs.id, older.id));
    const [image] = await deps.db
      .insert(assets)
      .values({
        kind: "image",
        storageKey: imageKey,
        sha256: "ab".repeat(32),
        mime: "image/png",
        bytes: 1,
        provider: "local",
      })
      .returning();
    const segment = {
      jobId: newer.id,
      section: "intro" as const,
      narration: "Waves.",
      caption: "Waves",
      seconds: 5,
      imagePrompt: "waves",
      motionPrompt: "slow zoom in",
    };
    await deps.db.insert(segments).values([
      { ...segment, index: 0, startSeconds: 0, imageStatus: "ready", imageAssetId: image!.id },
      { ...segment, index: 1, startSeconds: 5 },
    ]);

    const summaries = await listJobSummaries(deps.db, ownerId);
    expect(summaries.map((s) => s.topic)).toEqual(["Lighthouse at dawn", "Older"]);
    const [first, second] = summaries;
    expect(first).toMatchObject({
      id: newer.id,
      status: "awaiting_images_approval",
      awaitingGate: "images",
      final: false,
      counts: { segments: 2, images: 1, clips: 0, narration: 0 },
      thumbnails: [{ index: 0, url: mediaUrl(imageKey) }],
      videoUrl: null,
    });
    expect(typeof first!.createdAt).toBe("string");
    expect(second).toMatchObject({ status: "cancelled", awaitingGate: null, final: true, thumbnails: [] });

    const view = await getJobViewJson(deps.db, newer.id, ownerId);
    expect(view.awaitingGate).toBe("images");
    expect(view.segments.map((s) => [s.imageUrl, s.clipUrl])).toEqual([
      [`/api/media/${imageKey}`, null],
      [null, null],
    ]);
    expect(typeof view.job.createdAt).toBe("string");
    expect(view.finalAsset).toBeNull();
  });

  it("gives each failed take its reason, flags safety refusals and reports the cost so far", async () => {
    const job = await createJob(deps, ownerId, { topic: "Refusals", segmentCount: 3 });
    const segment = {
      jobId: job.id,
      section: "main" as const,
      seconds: 5,
      narration: "n",
      caption: "c",
      imagePrompt: "p",
      motionPrompt: "m",
    };
    const refusal = `${SAFETY_MESSAGE} (Test images: flagged)`;
    await deps.db.insert(segments).values([
      { ...segment, index: 0, startSeconds: 0, imageStatus: "failed", imageError: refusal },
      {
        ...segment,
        index: 1,
        startSeconds: 5,
        imageStatus: "failed",
        imageError: "Test images rejected the request",
      },
      { ...segment, index: 2, startSeconds: 10, clipStatus: "failed", clipError: refusal },
    ]);
    await deps.db.insert(providerCalls).values([
      {
        jobId: job.id,
        stage: "image",
        provider: "local",
        costCredits: 2,
        costUsd: 0.04,
        latencyMs: 5,
        outcome: "ok",
      },
      {
        jobId: job.id,
        stage: "image",
        provider: "local",
        costCredits: 1,
        costUsd: 0.02,
        latencyMs: 5,
        outcome: "ok",
      },
    ]);
    const view = await getJobViewJson(deps.db, job.id, ownerId);
    expect(
      view.segments.map((s) => [s.imageError, s.imageSafetyRefusal, s.clipError, s.clipSafetyRefusal]),
    ).toEqual([
      [refusal, true, null, false],
      ["Test images rejected the request", false, null, false],
      [null, false, refusal, true],
    ]);
    expect(view.cost.credits).toBe(3);
    expect(view.cost.usd).toBeCloseTo(0.06, 6);
  });

  it("hides other owners' jobs", async () => {
    const [stranger] = await deps.db.insert(users).values({ displayName: "Stranger" }).returning();
    await grant(deps.db, { userId: stranger!.id, amount: 100, key: "test:stranger" });
    const job = await createJob(deps, stranger!.id, { topic: "Not yours" });
    expect((await listJobSummaries(deps.db, ownerId)).map((s) => s.id)).not.toContain(job.id);
    await expect(getJobViewJson(deps.db, job.id, ownerId)).rejects.toMatchObject({ code: "not_found" });
  });
});
