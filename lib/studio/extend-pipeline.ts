/**
 * The stage services of `extend-video`, one per step, each idempotent under the executor's
 * at-least-once rule like those of lib/studio/pipeline.ts (whose image, clip and narration stages
 * they reuse for the extension's one segment, index 0):
 *
 * plan-segment → render-image ∥ narrate → animate-clip (submit, then durable checks) → extend (crossfade onto the parent's video,
 * store, complete, capture the credits). onFailure: `failExtension` (job failed, credits released).
 */
import fs from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { capture, release } from "@/lib/credits/ledger";
import { estimateExtension } from "@/lib/credits/pricing";
import type { Db } from "@/lib/db";
import { jobs, segments } from "@/lib/db/schema";
import { extendVideo } from "@/lib/media/extend";
import { probeMedia } from "@/lib/media/probe";
import { profileForAspect } from "@/lib/media/profile";
import { withSpend } from "@/lib/providers/spend";
import type { Runtime } from "@/lib/runtime";
import type { Script } from "@/lib/storyboard/types";
import { extensionReservationKey } from "./extend";
import { getJob, recordJobEvent } from "./jobs";
import {
  animateClipStage,
  cacheKeyOf,
  loadAsset,
  markJobFailed,
  narrateStage,
  renderImageStage,
  SECTION_CROSSFADE_SECONDS,
  setJobStatus,
  storeAsset,
  storeDerivedImages,
  withProviderErrors,
} from "./pipeline";

/** The extension's only segment. */
export const EXTENSION_SEGMENT_INDEX = 0;
const SEGMENT_INDEX = EXTENSION_SEGMENT_INDEX;

/** Loads an extension job and its parent. @throws Error when the job is not an extension. */
async function loadExtension(db: Db, jobId: string) {
  const job = await getJob(db, jobId);
  if (job.source !== "extension" || !job.parentJobId) throw new Error(`Job ${jobId} is not an extension`);
  const parent = await getJob(db, job.parentJobId);
  if (!parent.finalAssetId) throw new Error(`Job ${parent.id} has no final video to extend`);
  return { job, parent, parentFinalAssetId: parent.finalAssetId };
}

/**
 * Stage 1: plans the one segment. The prompt is the segment's narration (and caption text): it is
 * given to the LLM provider's `planSegments` as a one-section script (main only) titled like the
 * parent's script, in the parent's language and style guide, which writes the caption, the image
 * prompt and the motion prompt. Stored as segment 0 of the job, timed where it starts in the new
 * video (parent's duration − the crossfade); the script is kept on the job.
 * @returns the segment's narration, its caption, image and motion prompts.
 * @throws RangeError/ProviderError from the provider (wrapped by `withProviderErrors`).
 */
export async function planExtensionStage(rt: Runtime, jobId: string) {
  const db = rt.dbHandle.db;
  const { job, parent, parentFinalAssetId } = await loadExtension(db, jobId);
  let [segment] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.jobId, jobId), eq(segments.index, SEGMENT_INDEX)));
  if (!segment) {
    const script: Script = {
      title: parent.script?.title || parent.topic,
      sections: { intro: "", main: job.topic, outro: "" },
    };
    const [planned] = await withSpend(rt.providers.llm, { db, stage: "llm", jobId }).planSegments({
      script,
      language: job.language,
      segmentCount: 1,
      segmentSeconds: job.segmentSeconds,
      styleGuide: job.styleGuide ?? undefined,
    });
    if (!planned) throw new Error(`The planner returned no segment for job ${jobId}`);
    const parentVideo = await loadAsset(db, parentFinalAssetId);
    const startSeconds = Math.max(0, (parentVideo.durationSeconds ?? 0) - SECTION_CROSSFADE_SECONDS);
    await db
      .insert(segments)
      .values({
        jobId,
        index: SEGMENT_INDEX,
        section: planned.section,
        narration: planned.narration,
        caption: planned.caption,
        startSeconds,
        seconds: job.segmentSeconds,
        imagePrompt: planned.imagePrompt,
        motionPrompt: planned.motionPrompt,
      })
      .onConflictDoNothing();
    await db.update(jobs).set({ script, updatedAt: new Date() }).where(eq(jobs.id, jobId));
    [segment] = await db
      .select()
      .from(segments)
      .where(and(eq(segments.jobId, jobId), eq(segments.index, SEGMENT_INDEX)));
  }
  await setJobStatus(rt, jobId, "rendering_images");
  const { narration, caption, imagePrompt, motionPrompt } = segment!;
  return { narration, caption, imagePrompt, motionPrompt };
}

/**
 * Stage 2: renders the segment's image. A provider refusal fails the whole extension (there is no
 * gate to fix it at): NonRetriableError; outages retry (RetryAfterError).
 * @returns the image asset id.
 */
export async function renderExtensionImageStage(rt: Runtime, jobId: string): Promise<string> {
  return withProviderErrors(() => renderImageStage(rt, jobId, SEGMENT_INDEX));
}

/** Stage 3 (with stage 2): narrates the segment. @returns the narration asset id. */
export async function narrateExtensionStage(rt: Runtime, jobId: string): Promise<string> {
  return withProviderErrors(() => narrateStage(rt, jobId, SEGMENT_INDEX));
}

/**
 * Stage 4, blocking: animates the image into a clip normalized to the job's profile in one call.
 * extend-video instead submits and polls the clip durably (inngest/functions/clip-polling.ts,
 * `onRefusal: "job"`), after `startExtensionClipStage`.
 * @returns the clip asset id.
 */
export async function animateExtensionClipStage(rt: Runtime, jobId: string): Promise<string> {
  await startExtensionClipStage(rt, jobId);
  return withProviderErrors(() => animateClipStage(rt, jobId, SEGMENT_INDEX));
}

/** Start of stage 4: the job shows as "animating". */
export async function startExtensionClipStage(rt: Runtime, jobId: string): Promise<void> {
  await setJobStatus(rt, jobId, "animating");
}

/** Captures the extension's reservation (idempotent: key "done"). */
async function captureExtension(db: Db, jobId: string, segmentSeconds: number) {
  await capture(db, {
    reservationKey: extensionReservationKey(jobId),
    amount: estimateExtension(segmentSeconds),
    key: "done",
  });
}

/**
 * Stage 5: crossfades the new clip (with its narration mixed in and its narration as the caption
 * cue) onto the end of the parent's final video over SECTION_CROSSFADE_SECONDS (0.5 s) with
 * `extendVideo`, stores the result as a new video asset, captures the reservation and completes
 * the job with the video. The new video lasts parent + segment − 0.5 s; the parent's file is only read.
 * @returns the new video asset id (the same on a retry after it was stored).
 * @throws Error when the segment lacks its clip or narration; MediaError from ffmpeg.
 */
export async function extendStage(rt: Runtime, jobId: string): Promise<string> {
  const db = rt.dbHandle.db;
  const { job, parent, parentFinalAssetId } = await loadExtension(db, jobId);
  if (job.status === "completed" && job.finalAssetId) {
    await captureExtension(db, jobId, job.segmentSeconds);
    return job.finalAssetId;
  }
  await setJobStatus(rt, jobId, "assembling");
  const [segment] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.jobId, jobId), eq(segments.index, SEGMENT_INDEX)));
  if (!segment?.clipAssetId || !segment.narrationAssetId) {
    throw new Error(`The segment of extension ${jobId} has no clip or narration yet`);
  }
  const [parentVideo, clip, narration] = await Promise.all([
    loadAsset(db, parentFinalAssetId),
    loadAsset(db, segment.clipAssetId),
    loadAsset(db, segment.narrationAssetId),
  ]);
  const profile = profileForAspect(job.aspect);
  const dir = path.join(rt.workDir, jobId);
  await fs.promises.mkdir(dir, { recursive: true });
  const outPath = path.join(dir, "extended.mp4");
  await extendVideo({
    videoPath: await rt.store.localPath(parentVideo.storageKey),
    clipPath: await rt.store.localPath(clip.storageKey),
    narrationPath: await rt.store.localPath(narration.storageKey),
    outPath,
    profile,
    crossfadeSeconds: SECTION_CROSSFADE_SECONDS,
    captionText: segment.narration,
    captionLanguage: job.language === "ru" ? "rus" : "eng",
  });
  const probe = await probeMedia(outPath);
  const video = await storeAsset(rt, outPath, {
    kind: "video",
    mime: "video/mp4",
    ext: "mp4",
    provider: "kadr",
    cacheKey: cacheKeyOf({
      kind: "video",
      jobId,
      extends: parentVideo.sha256,
      clip: clip.sha256,
      narration: narration.sha256,
      caption: segment.narration,
    }),
    durationSeconds: probe.durationSeconds,
    width: profile.width,
    height: profile.height,
  });
  await storeDerivedImages(rt, video.id);
  // Captured before the job shows as completed, so a completed extension is always paid for; a
  // retry after a crash in between captures nothing twice (key "done").
  await captureExtension(db, jobId, job.segmentSeconds);
  await setJobStatus(rt, jobId, "completed", { finalAssetId: video.id, completedAt: new Date() });
  await recordJobEvent(db, jobId, "progress", { stage: "extend", parentJobId: parent.id });
  await fs.promises.rm(dir, { recursive: true, force: true });
  return video.id;
}

/**
 * onFailure of `extend-video`: releases what the job's reservation still holds (key "failed";
 * nothing when it was captured already), then marks the job failed with `reason`.
 */
export async function failExtension(rt: Runtime, jobId: string, reason: string): Promise<void> {
  // Released first, so a failed extension never holds credits.
  await release(rt.dbHandle.db, { reservationKey: extensionReservationKey(jobId), key: "failed" });
  await markJobFailed(rt, jobId, reason);
}
