/**
 * Regeneration and cancellation through the real pipeline: the embedded executor drives
 * produce-video and regenerate-segment in-process against a test database.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import type { DbHandle } from "@/lib/db";
import { assets, engineRuns, segments } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { getProviders, type RenderImageInput } from "@/lib/providers";
import { ProviderError } from "@/lib/providers/errors";
import { createRuntime, setRuntime } from "@/lib/runtime";
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

let handle: DbHandle;
let executor: EmbeddedExecutor;
let deps: StudioDeps;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-regen-"));

async function until(jobId: string, done: (view: JobView) => boolean): Promise<JobView> {
  for (let i = 0; i < 600; i++) {
    const view = await getJobView(handle.db, jobId);
    if (done(view)) return view;
    if (view.job.status === "failed") throw new Error(`job failed: ${view.job.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out");
}

describe(`regeneration and cancellation (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    const providers = getProviders({});
    // The image provider refuses the first picture whose prompt mentions "refuse me", like a safety filter.
    let refused = false;
    const image = {
      ...providers.image,
      name: providers.image.name,
      renderImage: async (input: RenderImageInput) => {
        if (!refused && input.caption.includes("refuse me")) {
          refused = true;
          throw new ProviderError({ kind: "safety", provider: "Test images", reason: "moderation_blocked" });
        }
        return providers.image.renderImage(input);
      },
    };
    setRuntime(await createRuntime({ dbHandle: handle, dataDir, providers: { ...providers, image } }));
    executor = await startEmbeddedEngine({ db: handle.db });
    deps = { db: handle.db, sendEvent: (e) => inngest.send(e) };
  });
  afterAll(async () => {
    await executor.stop();
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("regenerates one image at the images gate; pending segments block approval; cancel stops the run", async () => {
    const ownerId = await ensureLocalOwner(handle.db);
    const job = await createJob(deps, ownerId, {
      topic: "Paper boats",
      segmentCount: 2,
      segmentSeconds: 2,
      language: "en",
    });
    await until(job.id, (v) => v.job.status === "awaiting_script_approval");
    await approveGate(deps, job.id, "script", "test");
    const gate = await until(job.id, (v) => v.job.status === "awaiting_images_approval");
    const before = gate.segments[1]!;

    await expect(requestRegeneration(deps, job.id, 5, "image", "test")).rejects.toMatchObject({
      code: "bad_input",
    });
    await expect(requestRegeneration(deps, job.id, 0, "clip", "test")).rejects.toMatchObject({
      code: "conflict",
    });
    expect(await requestRegeneration(deps, job.id, 1, "image", "test")).toBe(1);
    const after = await until(job.id, (v) => v.segments[1]?.imageStatus === "ready");

    expect(after.segments[1]!.imageVariation).toBe(1);
    expect(after.segments[1]!.imageAssetId).not.toBe(before.imageAssetId);
    expect(after.segments[0]!.imageAssetId).toBe(gate.segments[0]!.imageAssetId);
    const [oldImage] = await handle.db.select().from(assets).where(eq(assets.id, before.imageAssetId!));
    const [newImage] = await handle.db
      .select()
      .from(assets)
      .where(eq(assets.id, after.segments[1]!.imageAssetId!));
    expect(newImage!.sha256).not.toBe(oldImage!.sha256);

    // A segment that is not ready (a take in progress) blocks the gate.
    const first = and(eq(segments.jobId, job.id), eq(segments.index, 0));
    await handle.db.update(segments).set({ imageStatus: "pending" }).where(first);
    await expect(approveGate(deps, job.id, "images", "test")).rejects.toThrow(/Segment 1 is not ready yet/);
    await handle.db.update(segments).set({ imageStatus: "ready" }).where(first);

    await approveGate(deps, job.id, "images", "test");
    await until(job.id, (v) => v.job.status === "awaiting_clips_approval");
    await cancelJob(deps, job.id, "test");
    const runs = await handle.db
      .select()
      .from(engineRuns)
      .where(eq(engineRuns.functionId, "kadr-produce-video"));
    const run = runs.find((r) => (r.event.data as { jobId: string }).jobId === job.id)!;
    expect((await executor.waitForRun(run.id, 50)).status).toBe("cancelled");
    expect((await getJobView(handle.db, job.id)).job.status).toBe("cancelled");
  });

  it("marks a segment refused by the safety filter as failed, keeps the job going, and recovers by regenerating", async () => {
    const ownerId = await ensureLocalOwner(handle.db);
    const job = await createJob(deps, ownerId, {
      scriptText: "First we arrive. Then refuse me, please. Finally we leave.",
      segmentCount: 3,
      segmentSeconds: 2,
      language: "en",
    });
    await until(job.id, (v) => v.job.status === "awaiting_script_approval");
    await approveGate(deps, job.id, "script", "test");
    const gate = await until(job.id, (v) => v.job.status === "awaiting_images_approval");
    const failed = gate.segments.find((s) => s.imageStatus === "failed");
    expect(failed?.imageError).toBe(
      "Blocked by the provider's safety filter (Test images: moderation_blocked)",
    );
    expect(gate.segments.filter((s) => s.imageStatus === "ready")).toHaveLength(2);
    await expect(approveGate(deps, job.id, "images", "test")).rejects.toThrow(/not ready yet/);

    await requestRegeneration(deps, job.id, failed!.index, "image", "test");
    const fixed = await until(job.id, (v) => v.segments[failed!.index]?.imageStatus === "ready");
    expect(fixed.segments[failed!.index]?.imageError).toBeNull();
    await approveGate(deps, job.id, "images", "test");
    await until(job.id, (v) => v.job.status === "awaiting_clips_approval");
    await cancelJob(deps, job.id, "test");
  });
});
