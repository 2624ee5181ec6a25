/**
 * Instruction edits of a segment's image through the real pipeline: the embedded executor drives
 * produce-video to the images gate, then regenerate-segment's `edit-image` step edits the picture
 * with the local provider (a wrapper refuses one instruction like a safety filter).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, asc, eq, like } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { DEFAULT_PRICES } from "@/lib/credits/pricing";
import type { DbHandle } from "@/lib/db";
import { assets, creditLedger, jobEvents, providerCalls, segments } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { type EditImageInput, getProviders } from "@/lib/providers";
import { ProviderError } from "@/lib/providers/errors";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import { regenerationCreditKey } from "./billing";
import { requestImageEdit } from "./editing";
import {
  approveGate,
  cancelJob,
  createJob,
  ensureLocalOwner,
  getJobView,
  type JobView,
  type StudioDeps,
} from "./jobs";

let handle: DbHandle;
let runtime: Runtime;
let executor: EmbeddedExecutor;
let deps: StudioDeps;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-edit-"));

async function until(jobId: string, done: (view: JobView) => boolean): Promise<JobView> {
  for (let i = 0; i < 600; i++) {
    const view = await getJobView(handle.db, jobId);
    if (done(view)) return view;
    if (view.job.status === "failed") throw new Error(`job failed: ${view.job.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out");
}

async function pixels(assetId: string): Promise<Buffer> {
  const [asset] = await handle.db.select().from(assets).where(eq(assets.id, assetId));
  return fs.promises.readFile(await runtime.store.localPath(asset!.storageKey));
}

/** The ledger entries under a reservation key (the reservation and its settlements), oldest first. */
function ledgerEntries(key: string) {
  return handle.db
    .select({ kind: creditLedger.kind, amount: creditLedger.amount })
    .from(creditLedger)
    .where(like(creditLedger.idempotencyKey, `${key}%`))
    .orderBy(asc(creditLedger.id));
}

/** A job of two segments waiting at the images gate. */
async function jobAtImagesGate(ownerId: string) {
  const job = await createJob(deps, ownerId, {
    topic: "Lighthouses",
    segmentCount: 2,
    segmentSeconds: 2,
    language: "en",
  });
  await until(job.id, (v) => v.job.status === "awaiting_script_approval");
  await approveGate(deps, job.id, "script", "test");
  return { job, gate: await until(job.id, (v) => v.job.status === "awaiting_images_approval") };
}

describe(`image edits with an instruction (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    const providers = getProviders({});
    const image = {
      ...providers.image,
      editImage: async (input: EditImageInput) => {
        if (input.instruction.includes("refuse me"))
          throw new ProviderError({ kind: "safety", provider: "Test images", reason: "moderation_blocked" });
        return providers.image.editImage!(input);
      },
    };
    runtime = await createRuntime({ dbHandle: handle, dataDir, providers: { ...providers, image } });
    setRuntime(runtime);
    executor = await startEmbeddedEngine({ db: handle.db });
    deps = { db: handle.db, sendEvent: (e) => inngest.send(e) };
  });
  afterAll(async () => {
    await executor.stop();
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("edits one image at the images gate: new asset, ready segment, one image's credits reserved and captured", async () => {
    const ownerId = await ensureLocalOwner(handle.db);
    const { job, gate } = await jobAtImagesGate(ownerId);
    const before = gate.segments[0]!;

    const variation = await requestImageEdit(
      deps,
      job.id,
      0,
      { instruction: "  make the sky red " },
      "test",
      ownerId,
    );
    expect(variation).toBe(1);
    // Pending at once, still showing the picture being edited.
    const [pending] = await handle.db
      .select()
      .from(segments)
      .where(and(eq(segments.jobId, job.id), eq(segments.index, 0)));
    expect(pending).toMatchObject({ imageStatus: "pending", imageAssetId: before.imageAssetId });
    await expect(
      requestImageEdit(deps, job.id, 0, { instruction: "again" }, "test", ownerId),
    ).rejects.toMatchObject({ code: "conflict" });

    const after = await until(job.id, (v) => v.segments[0]?.imageStatus === "ready");
    const edited = after.segments[0]!;
    expect(edited).toMatchObject({ imageVariation: 1, imageError: null });
    expect(edited.imageAssetId).not.toBe(before.imageAssetId);
    expect(after.segments[1]!.imageAssetId).toBe(gate.segments[1]!.imageAssetId);

    const [asset] = await handle.db.select().from(assets).where(eq(assets.id, edited.imageAssetId!));
    expect(asset).toMatchObject({
      kind: "image",
      mime: "image/png",
      provider: "local",
      width: 1280,
      height: 720,
    });
    const [oldPng, newPng] = await Promise.all([pixels(before.imageAssetId!), pixels(edited.imageAssetId!)]);
    expect(asset!.sha256).not.toBe(
      (await handle.db.select().from(assets).where(eq(assets.id, before.imageAssetId!)))[0]!.sha256,
    );
    const meta = await sharp(newPng).metadata();
    expect([meta.width, meta.height]).toEqual([1280, 720]);
    // The picture differs, and red now dominates it (the local editor tints what the instruction names).
    const [a, b] = await Promise.all([oldPng, newPng].map((p) => sharp(p).raw().toBuffer()));
    let diff = 0;
    for (let i = 0; i < a!.length; i++) diff += Math.abs(a![i]! - b![i]!);
    expect(diff / a!.length).toBeGreaterThan(10);
    const { channels } = await sharp(newPng).stats();
    expect(channels[0]!.mean).toBeGreaterThan(channels[2]!.mean);

    // Credits: one image's price reserved for the take and captured when it was ready.
    const key = regenerationCreditKey(job.id, "image", 0, 1);
    const entries = await ledgerEntries(key);
    // A capture hands the reserved credits over (release) and books them as spent (capture).
    expect(entries).toEqual([
      { kind: "reserve", amount: -DEFAULT_PRICES.imagePerSegment },
      { kind: "release", amount: DEFAULT_PRICES.imagePerSegment },
      { kind: "capture", amount: -DEFAULT_PRICES.imagePerSegment },
    ]);

    // The instruction is on the job's timeline; the provider call is recorded for segment 0.
    const events = await handle.db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id));
    expect(events.find((e) => e.type === "regeneration")?.data).toMatchObject({
      index: 0,
      target: "image",
      variation: 1,
      instruction: "make the sky red",
      sourceAssetId: before.imageAssetId,
    });
    const calls = await handle.db
      .select()
      .from(providerCalls)
      .where(and(eq(providerCalls.jobId, job.id), eq(providerCalls.segmentIndex, 0)));
    expect(calls.filter((c) => c.stage === "image" && c.outcome === "ok")).toHaveLength(2);

    await approveGate(deps, job.id, "images", "test");
    await until(job.id, (v) => v.job.status === "awaiting_clips_approval");
    await expect(
      requestImageEdit(deps, job.id, 1, { instruction: "make it blue" }, "test", ownerId),
    ).rejects.toMatchObject({ code: "conflict" });
    await cancelJob(deps, job.id, "test");
  });

  it("marks a refused edit failed with the reason, keeps the picture, and releases the reservation", async () => {
    const ownerId = await ensureLocalOwner(handle.db);
    const { job, gate } = await jobAtImagesGate(ownerId);
    await requestImageEdit(deps, job.id, 1, { instruction: "refuse me" }, "test", ownerId);
    const after = await until(job.id, (v) => v.segments[1]?.imageStatus === "failed");
    expect(after.segments[1]).toMatchObject({
      imageError: "Blocked by the provider's safety filter (Test images: moderation_blocked)",
      imageAssetId: gate.segments[1]!.imageAssetId,
    });
    const key = regenerationCreditKey(job.id, "image", 1, 1);
    const entries = await ledgerEntries(key);
    expect(entries.map((e) => e.kind)).toEqual(["reserve", "release"]);
    expect(entries.reduce((sum, e) => sum + e.amount, 0)).toBe(0);
    // A failed segment has no finished image to edit: regenerate (or upload) instead.
    await expect(
      requestImageEdit(deps, job.id, 1, { instruction: "make it blue" }, "test", ownerId),
    ).rejects.toThrow(/no finished image to edit/);
    await cancelJob(deps, job.id, "test");
  });
});
