/**
 * Durable clip stages: a remote clip provider (Runway, Veo, fal — a `ClipJobProvider`) renders for
 * a minute or more, so a clip is not made inside one blocking step. Instead:
 *
 *   submitClipStage  (one step)   → the provider's job id, stored on the job's timeline first thing
 *   step.sleep + checkClipStage (a step per check, until done or the deadline)
 *                                 → on done: download, normalize, store (assets.providerJobId),
 *                                   segment ready, progress event — all in that check's step,
 *                                   because a done state may carry the clip's bytes.
 *
 * Each stage is idempotent under the executor's at-least-once rule: a segment whose clip is ready
 * (or whose clip is in the asset cache) is answered from there, and a submit retried after the
 * provider accepted the job finds the job id on the timeline (`job_events` of type "clip_job")
 * instead of paying for a second clip. The local provider (no remote job) keeps the blocking
 * `animateClipStage`, run inside the submit step.
 *
 * Provider failures follow the pipeline's rules (`runSegmentStage`): with `onRefusal: "segment"`
 * a safety refusal, an invalid request, a job that failed at the provider or one that did not finish
 * by the deadline marks only that segment failed (the gate shows why); with `"job"` (an extension,
 * which has no gate) they fail the run (NonRetriableError). Rate limits and outages become
 * RetryAfterError with the provider's hint, bad credentials NonRetriableError.
 */
import fs from "node:fs";
import path from "node:path";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { assets, jobEvents, type Segment, segments } from "@/lib/db/schema";
import { probeMedia } from "@/lib/media/probe";
import { profileForAspect } from "@/lib/media/profile";
import { type ClipJobProvider, isClipJobProvider } from "@/lib/providers";
import { ProviderError, toInngestError } from "@/lib/providers/errors";
import { withSpend } from "@/lib/providers/spend";
import type { Runtime } from "@/lib/runtime";
import { getJob, recordJobEvent } from "./jobs";
import {
  animateClipStage,
  clipCacheKeyOf,
  loadAsset,
  markSegmentFailed,
  storeAsset,
  storeDerivedImages,
} from "./pipeline";

/** Seconds between checks when the provider gives no hint (`ClipJobProvider.pollIntervalSeconds`). */
export const DEFAULT_CLIP_POLL_SECONDS = 5;
/** Shortest wait between checks: durable sleeps have a resolution of 1 s (the Inngest SDK rounds up). */
export const MIN_CLIP_POLL_SECONDS = 1;
/** How long a submitted clip may take before its segment is marked failed, in seconds (10 min). */
export const CLIP_MAX_WAIT_SECONDS = 600;
/** `job_events.type` of the record holding a submitted clip's provider job id. */
export const CLIP_JOB_EVENT = "clip_job";

/**
 * What a failed clip does to the run: `"segment"` marks the segment failed and the run goes on
 * (produce-video, regenerate-segment); `"job"` throws NonRetriableError (extend-video).
 */
export type ClipRefusalMode = "segment" | "job";

/** Options of `submitClipStage`. */
export interface SubmitClipOptions {
  onRefusal: ClipRefusalMode;
  /** Longest wait for the provider, in seconds (default `CLIP_MAX_WAIT_SECONDS`). */
  maxWaitSeconds?: number;
}

/** Result of `submitClipStage` (JSON, memoized by the step). */
export type SubmittedClip =
  /** The clip is ready (already made, in the cache, or rendered by a blocking provider). */
  | { status: "ready"; assetId: string }
  /** The segment was marked failed (mode "segment"); `reason` is what the user sees. */
  | { status: "failed"; reason: string }
  /** The provider accepted the job: check it every `pollSeconds` s until `deadline` (epoch ms). */
  | {
      status: "submitted";
      providerJobId: string;
      pollSeconds: number;
      deadline: number;
      maxWaitSeconds: number;
    };

/** Result of `checkClipStage` (JSON, memoized by the step). */
export type CheckedClip =
  /** Still rendering; `progress` 0–1 when the provider reports it. */
  | { status: "pending"; progress?: number }
  | { status: "ready"; assetId: string }
  | { status: "failed"; reason: string };

/** Everything a clip stage needs about one segment. */
async function clipContext(rt: Runtime, jobId: string, index: number) {
  const db = rt.dbHandle.db;
  const [segment] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.jobId, jobId), eq(segments.index, index)));
  if (!segment) throw new Error(`Job ${jobId} has no segment ${index}`);
  return { db, segment };
}

/** The rest of the context, for a segment without a ready clip. */
async function clipRequestOf(rt: Runtime, jobId: string, segment: Segment) {
  const db = rt.dbHandle.db;
  if (!segment.imageAssetId) throw new Error(`Segment ${segment.index} of job ${jobId} has no image yet`);
  const job = await getJob(db, jobId);
  const image = await loadAsset(db, segment.imageAssetId);
  const profile = profileForAspect(job.aspect);
  const cacheKey = clipCacheKeyOf(rt.providers.video.name, image.sha256, segment, profile);
  return { image, profile, cacheKey };
}

/** Marks the segment's clip ready with `assetId` and records the progress (as `animateClipStage` does). */
async function finishClip(rt: Runtime, jobId: string, segment: Segment, assetId: string): Promise<string> {
  const db = rt.dbHandle.db;
  await storeDerivedImages(rt, assetId);
  await db
    .update(segments)
    .set({ clipAssetId: assetId, clipStatus: "ready", clipError: null, updatedAt: new Date() })
    .where(eq(segments.id, segment.id));
  await recordJobEvent(db, jobId, "progress", { stage: "clips", index: segment.index });
  return assetId;
}

/** A ready clip of the segment, or one in the asset cache (then the segment is marked ready with it). */
async function readyClip(rt: Runtime, jobId: string, segment: Segment): Promise<string | undefined> {
  if (segment.clipStatus === "ready" && segment.clipAssetId) return segment.clipAssetId;
  const { cacheKey } = await clipRequestOf(rt, jobId, segment);
  const [cached] = await rt.dbHandle.db.select().from(assets).where(eq(assets.cacheKey, cacheKey));
  return cached ? finishClip(rt, jobId, segment, cached.id) : undefined;
}

/**
 * Applies the refusal rules to an error of a clip stage.
 * @returns `{ status: "failed" }` after marking the segment failed (mode "segment", refusals).
 * @throws RetryAfterError (provider outage, rate limit), NonRetriableError (bad credentials; any
 *   refusal in mode "job"), or the error itself when it is not a ProviderError.
 */
async function refuse(
  rt: Runtime,
  jobId: string,
  index: number,
  mode: ClipRefusalMode,
  err: unknown,
): Promise<{ status: "failed"; reason: string }> {
  if (
    mode === "segment" &&
    err instanceof ProviderError &&
    (err.kind === "invalid" || err.kind === "safety")
  ) {
    await markSegmentFailed(rt, jobId, index, "clip", err.message);
    return { status: "failed", reason: err.message };
  }
  throw toInngestError(err);
}

/** The provider job id recorded for this exact clip request (same cache key) on the job's timeline. */
async function recordedJobId(db: Db, jobId: string, index: number, cacheKey: string) {
  const rows = await db
    .select({ data: jobEvents.data })
    .from(jobEvents)
    .where(and(eq(jobEvents.jobId, jobId), eq(jobEvents.type, CLIP_JOB_EVENT)))
    .orderBy(desc(jobEvents.id));
  const found = rows.find((r) => r.data.index === index && r.data.cacheKey === cacheKey);
  return found ? String(found.data.providerJobId) : undefined;
}

/** Seconds between checks for `provider`: its hint, else `DEFAULT_CLIP_POLL_SECONDS`, at least 1 s. */
export function clipPollSeconds(provider: Pick<ClipJobProvider, "pollIntervalSeconds">): number {
  const hint = provider.pollIntervalSeconds;
  const seconds = hint !== undefined && Number.isFinite(hint) && hint > 0 ? hint : DEFAULT_CLIP_POLL_SECONDS;
  return Math.max(MIN_CLIP_POLL_SECONDS, seconds);
}

/**
 * Step 1 of a durable clip: answers a ready or cached clip at once; with a provider that is not a
 * `ClipJobProvider` (local) renders the clip here with the blocking `animateClipStage`; otherwise
 * submits the clip request to the provider (one `provider_calls` row with the billed seconds) and
 * records its job id (≤ 512 characters) on the job's timeline (`job_events` "clip_job":
 * `{ index, providerJobId, cacheKey, provider }`) before returning it. A retry of this step after the
 * provider accepted the job finds that record and does not submit again.
 *
 * @returns `{ status: "ready", assetId }`, `{ status: "failed", reason }` (mode "segment"), or
 *   `{ status: "submitted", providerJobId, pollSeconds, deadline, maxWaitSeconds }` — `pollSeconds`
 *   from the provider's hint (`clipPollSeconds`), `deadline` in epoch ms (now + `maxWaitSeconds`).
 * @throws Error when the segment or its image is missing; RetryAfterError / NonRetriableError by
 *   the refusal rules (module comment).
 */
export async function submitClipStage(
  rt: Runtime,
  jobId: string,
  index: number,
  options: SubmitClipOptions,
): Promise<SubmittedClip> {
  const { db, segment } = await clipContext(rt, jobId, index);
  const ready = await readyClip(rt, jobId, segment);
  if (ready) return { status: "ready", assetId: ready };
  const video = rt.providers.video;
  if (!isClipJobProvider(video)) {
    try {
      return { status: "ready", assetId: await animateClipStage(rt, jobId, index) };
    } catch (err) {
      return refuse(rt, jobId, index, options.onRefusal, err);
    }
  }
  const { image, profile, cacheKey } = await clipRequestOf(rt, jobId, segment);
  const pollSeconds = clipPollSeconds(video);
  const maxWaitSeconds = options.maxWaitSeconds ?? CLIP_MAX_WAIT_SECONDS;
  const deadline = Date.now() + maxWaitSeconds * 1000;
  const earlier = await recordedJobId(db, jobId, index, cacheKey);
  if (earlier) return { status: "submitted", providerJobId: earlier, pollSeconds, deadline, maxWaitSeconds };
  const provider = withSpend(video, { db, stage: "video", jobId, segmentIndex: index });
  let providerJobId: string;
  try {
    providerJobId = await provider.submit({
      imagePath: await rt.store.localPath(image.storageKey),
      seconds: segment.seconds,
      profile,
      motionPrompt: segment.motionPrompt,
      seed: `${image.sha256}:${segment.motionPrompt}:${segment.clipVariation}`,
    });
  } catch (err) {
    return refuse(rt, jobId, index, options.onRefusal, err);
  }
  await recordJobEvent(db, jobId, CLIP_JOB_EVENT, { index, providerJobId, cacheKey, provider: video.name });
  return { status: "submitted", providerJobId, pollSeconds, deadline, maxWaitSeconds };
}

/** Options of `checkClipStage`. */
export interface CheckClipOptions {
  onRefusal: ClipRefusalMode;
  /** When a still pending job is given up, in epoch ms (from `submitClipStage`). */
  deadline: number;
  /** The wait that `deadline` ends, in seconds (for the message; from `submitClipStage`). */
  maxWaitSeconds?: number;
}

/**
 * One check of a submitted clip (a step of its own, after a durable sleep): asks the provider once
 * (`ClipJobProvider.check`). Pending → `{ status: "pending" }`, unless `deadline` has passed: then
 * the clip is given up ("<provider> did not finish the clip of segment N within M min") by the
 * refusal rules. Failed at the provider → refusal rules with the provider's reason (a safety
 * refusal reads "Blocked by the provider's safety filter (…)"). Done → `saveClip` downloads (or
 * writes) and normalizes the clip to the job's profile and the segment's length, and the clip is
 * stored as an asset (kind "clip", `providerJobId` set), the segment marked ready and the progress
 * recorded — in this same step, since a done state may carry the bytes. A check of a segment whose
 * clip is ready already (a retried step) answers that clip.
 *
 * @returns `{ status: "pending", progress? }`, `{ status: "ready", assetId }` or
 *   `{ status: "failed", reason }` (mode "segment").
 * @throws Error when the configured video provider has no remote jobs; RetryAfterError when the
 *   provider cannot be asked (5xx, 429, a failed download: the next attempt checks again and gets a
 *   fresh URL); NonRetriableError for bad credentials, and for any refusal in mode "job";
 *   MediaError when the clip cannot be decoded.
 */
export async function checkClipStage(
  rt: Runtime,
  jobId: string,
  index: number,
  providerJobId: string,
  options: CheckClipOptions,
): Promise<CheckedClip> {
  const { db, segment } = await clipContext(rt, jobId, index);
  const ready = await readyClip(rt, jobId, segment);
  if (ready) return { status: "ready", assetId: ready };
  const video = rt.providers.video;
  if (!isClipJobProvider(video)) {
    throw new Error(`KADR_VIDEO=${video.name} has no remote clip jobs to check (${providerJobId})`);
  }
  const provider = withSpend(video, { db, stage: "video", jobId, segmentIndex: index });
  let state: Awaited<ReturnType<ClipJobProvider["check"]>>;
  try {
    state = await provider.check(providerJobId);
  } catch (err) {
    return refuse(rt, jobId, index, options.onRefusal, err);
  }
  if (state.state === "pending") {
    if (Date.now() < options.deadline) {
      return state.progress === undefined
        ? { status: "pending" }
        : { status: "pending", progress: state.progress };
    }
    const waited = options.maxWaitSeconds ?? CLIP_MAX_WAIT_SECONDS;
    const within = waited >= 60 ? `${Math.round(waited / 60)} min` : `${Math.round(waited)} s`;
    const reason = `${video.name} did not finish the clip of segment ${index + 1} within ${within}; regenerate it to try again`;
    return refuse(rt, jobId, index, options.onRefusal, timeoutError(video.name, reason));
  }
  if (state.state === "failed") {
    // A job that ended without a clip cannot be checked into one: retrying this step would see
    // the same state, so even a transient provider failure fails the segment (regenerate retries).
    const err =
      state.error.kind === "retriable"
        ? new ProviderError({ kind: "invalid", provider: state.error.provider, reason: state.error.reason })
        : state.error;
    return refuse(rt, jobId, index, options.onRefusal, err);
  }
  const { profile, cacheKey } = await clipRequestOf(rt, jobId, segment);
  const dir = path.join(rt.workDir, jobId);
  await fs.promises.mkdir(dir, { recursive: true });
  const outPath = path.join(dir, `clip-${index}-${process.pid}-${Date.now()}.mp4`);
  try {
    try {
      await provider.saveClip(state.source, { outPath, seconds: segment.seconds, profile });
    } catch (err) {
      throw toInngestError(err);
    }
    const probe = await probeMedia(outPath);
    const asset = await storeAsset(rt, outPath, {
      kind: "clip",
      mime: "video/mp4",
      ext: "mp4",
      provider: video.name,
      cacheKey,
      durationSeconds: probe.durationSeconds,
      width: profile.width,
      height: profile.height,
    });
    await db
      .update(assets)
      .set({ providerJobId })
      .where(and(eq(assets.id, asset.id), isNull(assets.providerJobId)));
    return { status: "ready", assetId: await finishClip(rt, jobId, segment, asset.id) };
  } finally {
    await fs.promises.rm(outPath, { force: true });
  }
}

/** The error of a clip given up at its deadline: "invalid" (the user regenerates), not retried. */
function timeoutError(provider: string, reason: string): ProviderError {
  const err = new ProviderError({ kind: "invalid", provider, reason });
  // The user-facing text is the reason itself, not "… rejected the request: …".
  err.message = reason;
  return err;
}
