/**
 * The pipeline's stage services, one per Inngest step of `produce-video`. Each is idempotent under
 * the executor's at-least-once rule: it first looks for its own finished result (a script on the
 * job, a segment's asset) and returns it instead of producing it again, and every asset is
 * content-addressed and keyed by a cache key, so a retried step never stores a second copy.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "@/lib/db";
import {
  type Asset,
  type AssetKind,
  approvals,
  assets,
  FINAL_JOB_STATUSES,
  type Gate,
  type Job,
  type JobStatus,
  jobs,
  type Segment,
  segments,
} from "@/lib/db/schema";
import { AppError } from "@/lib/errors";
import { assembleVideo, assemblyCaptionCues, prerenderTransitions } from "@/lib/media/assemble";
import { webVtt } from "@/lib/media/captions";
import { captionTrack } from "@/lib/media/extend";
import { defaultMusicBed } from "@/lib/media/music";
import { encodeNarration, narrationCues } from "@/lib/media/narration";
import { probeMedia } from "@/lib/media/probe";
import { profileForAspect } from "@/lib/media/profile";
import { timelineSeconds } from "@/lib/media/timeline";
import type { ImageProvider } from "@/lib/providers";
import { ProviderError, toInngestError } from "@/lib/providers/errors";
import { withSpend } from "@/lib/providers/spend";
import type { Runtime } from "@/lib/runtime";
import type { BlobStore } from "@/lib/storage";
import { scriptFromText } from "@/lib/storyboard/script";
import { releaseJobCredits } from "./billing";
import { getJob, recordJobEvent } from "./jobs";
import { ensureDerivedImages } from "./thumbnails";

/** Length of the crossfade between sections (intro→main, main→outro), in seconds. */
export const SECTION_CROSSFADE_SECONDS = 0.5;
/** Narration must end this long before its segment does, in seconds. */
const NARRATION_TAIL_SECONDS = 0.25;
/** Fastest narration speed-up allowed to fit a segment (×). */
const MAX_NARRATION_SPEEDUP = 1.6;

function dbOf(rt: Runtime): Db {
  return rt.dbHandle.db;
}

/** Sets a job's status (and records it on the timeline) unless the job is already final. */
export async function setJobStatus(rt: Runtime, jobId: string, status: JobStatus, extra: Partial<Job> = {}) {
  const db = dbOf(rt);
  const job = await getJob(db, jobId);
  if (job.status === "cancelled" || job.status === "completed" || job.status === "expired") return;
  await db
    .update(jobs)
    .set({ ...extra, status, updatedAt: new Date(), version: job.version + 1 })
    .where(eq(jobs.id, jobId));
  if (job.status !== status) await recordJobEvent(db, jobId, "status", { status });
}

/** Marks a job failed with a human-readable reason (onFailure of the pipeline). */
export async function markJobFailed(rt: Runtime, jobId: string, reason: string) {
  await setJobStatus(rt, jobId, "failed", { error: reason });
  await recordJobEvent(dbOf(rt), jobId, "error", { message: reason });
}

/**
 * Passes a gate of a job approved in advance (a greeting template): records the approval by
 * "template" on the job and its timeline, as a person's approval would be. Idempotent.
 */
export async function passGate(rt: Runtime, jobId: string, gate: Gate) {
  const db = dbOf(rt);
  const inserted = await db
    .insert(approvals)
    .values({ jobId, gate, decision: "approved", actor: "template" })
    .onConflictDoNothing()
    .returning({ id: approvals.id });
  if (inserted.length) await recordJobEvent(db, jobId, "approval", { gate, actor: "template" });
}

/**
 * Expires a job whose approval gate timed out: status `expired` with the reason, an `expired`
 * timeline entry (the bot and the UI tell the user from it), and every credit it still holds
 * released. Does nothing to a job that is already final (cancelled meanwhile).
 */
export async function expireJob(rt: Runtime, jobId: string, reason: string) {
  const db = dbOf(rt);
  const job = await getJob(db, jobId);
  if (job.status !== "expired" && FINAL_JOB_STATUSES.includes(job.status)) return;
  // Released first, so a job that shows as expired never holds credits.
  await releaseJobCredits(db, jobId, "expired");
  if (job.status !== "expired") {
    await setJobStatus(rt, jobId, "expired", { error: reason });
    await recordJobEvent(db, jobId, "expired", { message: reason });
  }
}

/**
 * Marks one segment's image or clip as failed with a reason the user sees at the gate (a provider
 * refusal, an invalid request, a regeneration that ran out of retries).
 */
export async function markSegmentFailed(
  rt: Runtime,
  jobId: string,
  index: number,
  target: "image" | "clip",
  reason = `Making the ${target} of segment ${index + 1} failed`,
) {
  const db = dbOf(rt);
  await db
    .update(segments)
    .set(
      target === "image"
        ? { imageStatus: "failed", imageError: reason, updatedAt: new Date() }
        : { clipStatus: "failed", clipError: reason, updatedAt: new Date() },
    )
    .where(and(eq(segments.jobId, jobId), eq(segments.index, index)));
  await recordJobEvent(db, jobId, "error", { message: reason, index, target });
}

/**
 * Runs a stage whose provider failures are the job's, not one segment's: rate limits and outages
 * become RetryAfterError (the provider's hint), everything the user must fix NonRetriableError.
 */
export async function withProviderErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toInngestError(err);
  }
}

/**
 * Runs one segment's image or clip stage the way Kadr treats provider failures: a refusal by the
 * safety filter or an invalid request marks only that segment failed (the job goes on and the gate
 * shows why, so the user can edit the prompt and regenerate); rate limits and outages become
 * Inngest RetryAfterError, bad credentials NonRetriableError.
 * @returns the asset id, or null when the segment was marked failed.
 */
export async function runSegmentStage(
  rt: Runtime,
  jobId: string,
  index: number,
  target: "image" | "clip",
  work: () => Promise<string>,
): Promise<string | null> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ProviderError && (err.kind === "invalid" || err.kind === "safety")) {
      await markSegmentFailed(rt, jobId, index, target, err.message);
      return null;
    }
    throw toInngestError(err);
  }
}

/**
 * Stage 1: writes the script (or takes the pasted one); the pipeline then opens the script gate.
 * @returns the number of words in the script.
 */
export async function writeScriptStage(rt: Runtime, jobId: string): Promise<{ words: number }> {
  const db = dbOf(rt);
  const job = await getJob(db, jobId);
  let script = job.script;
  if (!script) {
    script =
      job.source === "script"
        ? scriptFromText(job.scriptText ?? "", job.language)
        : await withSpend(rt.providers.llm, { db, stage: "llm", jobId }).writeScript({
            topic: job.topic,
            language: job.language,
            segmentCount: job.segmentCount,
            segmentSeconds: job.segmentSeconds,
          });
  }
  await setJobStatus(rt, jobId, "scripting", { script });
  const words = Object.values(script.sections).join(" ").split(/\s+/).filter(Boolean).length;
  return { words };
}

/**
 * Stage 2: splits the approved script into segments with image and motion prompts.
 * @returns segment indices, 0-based.
 */
export async function planSegmentsStage(rt: Runtime, jobId: string): Promise<number[]> {
  const db = dbOf(rt);
  const job = await getJob(db, jobId);
  const existing = await db.select({ index: segments.index }).from(segments).where(eq(segments.jobId, jobId));
  if (existing.length !== job.segmentCount) {
    if (!job.script) throw new Error(`Job ${jobId} has no script to plan`);
    const planned = await withSpend(rt.providers.llm, { db, stage: "llm", jobId }).planSegments({
      script: job.script,
      language: job.language,
      segmentCount: job.segmentCount,
      segmentSeconds: job.segmentSeconds,
      styleGuide: job.styleGuide ?? undefined,
    });
    await db
      .insert(segments)
      .values(
        planned.map((p) => ({
          jobId,
          index: p.index,
          section: p.section,
          narration: p.narration,
          caption: p.caption,
          startSeconds: p.startSeconds,
          seconds: p.seconds,
          imagePrompt: p.imagePrompt,
          motionPrompt: p.motionPrompt,
        })),
      )
      .onConflictDoNothing();
  }
  await setJobStatus(rt, jobId, "rendering_images");
  return Array.from({ length: job.segmentCount }, (_, i) => i);
}

async function loadSegment(db: Db, jobId: string, index: number): Promise<Segment> {
  const [segment] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.jobId, jobId), eq(segments.index, index)));
  if (!segment) throw new Error(`Job ${jobId} has no segment ${index}`);
  return segment;
}

export async function loadAsset(db: Db, assetId: string): Promise<Asset> {
  const [asset] = await db.select().from(assets).where(eq(assets.id, assetId));
  if (!asset) throw new Error(`Asset ${assetId} is missing`);
  return asset;
}

/** A stable key for "the same request to the same provider": sha256 of the canonical JSON. */
export function cacheKeyOf(parts: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.entries(parts).sort(([a], [b]) => a.localeCompare(b)));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex");
}

interface NewAsset {
  kind: AssetKind;
  mime: string;
  ext: string;
  provider: string;
  cacheKey: string;
  durationSeconds?: number | null;
  width?: number | null;
  height?: number | null;
}

/** Stores bytes (buffer or file) as an asset row, reusing the row of an identical earlier request. */
export async function storeAsset(rt: Runtime, source: Buffer | string, meta: NewAsset): Promise<Asset> {
  const db = dbOf(rt);
  const blob =
    typeof source === "string"
      ? await rt.store.putFile(source, meta.kind, meta.ext)
      : await rt.store.putBuffer(source, meta.kind, meta.ext);
  await db
    .insert(assets)
    .values({
      kind: meta.kind,
      storageKey: blob.key,
      sha256: blob.sha256,
      mime: meta.mime,
      bytes: blob.bytes,
      durationSeconds: meta.durationSeconds ?? null,
      width: meta.width ?? null,
      height: meta.height ?? null,
      provider: meta.provider,
      cacheKey: meta.cacheKey,
    })
    .onConflictDoNothing();
  const [row] = await db.select().from(assets).where(eq(assets.cacheKey, meta.cacheKey));
  return row!;
}

/**
 * Makes sure the asset's derived images exist (an image's or clip's grid thumbnail, a final video's
 * posters; see ./thumbnails.ts) before a stage publishes the asset. Idempotent (cache keys).
 */
export async function storeDerivedImages(rt: Runtime, assetId: string): Promise<void> {
  await ensureDerivedImages({ db: dbOf(rt), store: rt.store }, await loadAsset(dbOf(rt), assetId));
}

async function findCachedAsset(db: Db, cacheKey: string): Promise<Asset | undefined> {
  const [row] = await db.select().from(assets).where(eq(assets.cacheKey, cacheKey));
  return row;
}

function jobWorkDir(rt: Runtime, jobId: string): string {
  const dir = path.join(rt.workDir, jobId);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The start of an image stage: the segment, the job's frame size and the image provider with
 * spend recording — or `{ done }` with the asset id when the segment's image is ready already.
 */
async function beginImageStage(
  rt: Runtime,
  jobId: string,
  index: number,
): Promise<
  { done: string } | { db: Db; segment: Segment; width: number; height: number; provider: ImageProvider }
> {
  const db = dbOf(rt);
  const segment = await loadSegment(db, jobId, index);
  if (segment.imageStatus === "ready" && segment.imageAssetId) return { done: segment.imageAssetId };
  const job = await getJob(db, jobId);
  const { width, height } = profileForAspect(job.aspect);
  const provider = withSpend(rt.providers.image, { db, stage: "image", jobId, segmentIndex: index });
  return { db, segment, width, height, provider };
}

/**
 * The end of an image stage: the image's grid thumbnail is stored, then the segment is ready with
 * `assetId`; a progress event is recorded.
 */
async function finishImageStage(
  rt: Runtime,
  segment: Segment,
  assetId: string,
  progress: Record<string, unknown> = {},
): Promise<string> {
  const db = dbOf(rt);
  await storeDerivedImages(rt, assetId);
  await db
    .update(segments)
    .set({ imageAssetId: assetId, imageStatus: "ready", imageError: null, updatedAt: new Date() })
    .where(eq(segments.id, segment.id));
  await recordJobEvent(db, segment.jobId, "progress", { stage: "images", index: segment.index, ...progress });
  return assetId;
}

/** Stage 3 (per segment): renders the segment's still image. @returns the image asset id. */
export async function renderImageStage(rt: Runtime, jobId: string, index: number): Promise<string> {
  const stage = await beginImageStage(rt, jobId, index);
  if ("done" in stage) return stage.done;
  const { db, segment, width, height, provider } = stage;
  const request = {
    prompt: segment.imagePrompt,
    caption: segment.caption,
    width,
    height,
    seed: segment.imageVariation ? `${segment.imagePrompt}#${segment.imageVariation}` : segment.imagePrompt,
  };
  const cacheKey = cacheKeyOf({ kind: "image", provider: provider.name, ...request });
  const asset =
    (await findCachedAsset(db, cacheKey)) ??
    (await storeAsset(rt, await provider.renderImage(request), {
      kind: "image",
      mime: "image/png",
      ext: "png",
      provider: provider.name,
      cacheKey,
      width,
      height,
    }));
  return finishImageStage(rt, segment, asset.id);
}

/** What an instruction edit starts from (the `edit` of `video/segment.regeneration.requested`). */
export interface ImageEdit {
  /** The user's instruction, e.g. "make the sky red". */
  instruction: string;
  /** The image asset being edited (the segment's image when the edit was asked for). */
  sourceAssetId: string;
}

/**
 * Stage 3b (per segment, on request): edits the segment's image as the instruction says with the
 * image provider's `editImage`, at the job's frame size, and makes the result the segment's image.
 * Idempotent: a segment that is ready again returns its image; the result is cached by provider,
 * model, source image, instruction, size and variation.
 * @returns the new image asset id.
 * @throws ProviderError("invalid") when the image provider cannot edit (KADR_IMAGE=openai/runway),
 *   so `runSegmentStage` marks the segment failed with that reason; provider errors otherwise.
 */
export async function editImageStage(
  rt: Runtime,
  jobId: string,
  index: number,
  edit: ImageEdit,
): Promise<string> {
  const stage = await beginImageStage(rt, jobId, index);
  if ("done" in stage) return stage.done;
  const { db, segment, width, height, provider } = stage;
  if (typeof provider.editImage !== "function") {
    throw new ProviderError({
      kind: "invalid",
      provider: provider.name,
      reason: "this image provider cannot edit pictures (KADR_IMAGE=local or fal can)",
    });
  }
  const source = await loadAsset(db, edit.sourceAssetId);
  const request = {
    instruction: edit.instruction,
    width,
    height,
    seed: `${source.sha256}#${edit.instruction}#${segment.imageVariation}`,
  };
  const cacheKey = cacheKeyOf({
    kind: "image-edit",
    provider: provider.name,
    model: provider.model ?? null,
    source: source.sha256,
    ...request,
  });
  const asset =
    (await findCachedAsset(db, cacheKey)) ??
    (await storeAsset(
      rt,
      await provider.editImage({
        ...request,
        image: await fs.promises.readFile(await rt.store.localPath(source.storageKey)),
      }),
      { kind: "image", mime: "image/png", ext: "png", provider: provider.name, cacheKey, width, height },
    ));
  return finishImageStage(rt, segment, asset.id, { edit: edit.instruction });
}

/**
 * The cache key of a segment's clip: the provider, the source image's sha256, the motion prompt, the
 * clip variation, the length in seconds and the job's profile. Shared by the blocking
 * `animateClipStage` and the durable clip stages (./clip-stages.ts), so either finds the other's clip.
 */
export function clipCacheKeyOf(
  provider: string,
  imageSha256: string,
  segment: Pick<Segment, "motionPrompt" | "clipVariation" | "seconds">,
  profile: ReturnType<typeof profileForAspect>,
): string {
  return cacheKeyOf({
    kind: "clip",
    provider,
    image: imageSha256,
    motionPrompt: segment.motionPrompt,
    variation: segment.clipVariation,
    seconds: segment.seconds,
    profile,
  });
}

/**
 * Stage 4 (per segment): animates the segment's image into a normalized clip and stores the clip's
 * first-frame thumbnail. @returns the clip asset id.
 */
export async function animateClipStage(rt: Runtime, jobId: string, index: number): Promise<string> {
  const db = dbOf(rt);
  const segment = await loadSegment(db, jobId, index);
  if (segment.clipStatus === "ready" && segment.clipAssetId) return segment.clipAssetId;
  if (!segment.imageAssetId) throw new Error(`Segment ${index} of job ${jobId} has no image yet`);
  const job = await getJob(db, jobId);
  const image = await loadAsset(db, segment.imageAssetId);
  const profile = profileForAspect(job.aspect);
  const provider = withSpend(rt.providers.video, { db, stage: "video", jobId, segmentIndex: index });
  const cacheKey = clipCacheKeyOf(provider.name, image.sha256, segment, profile);
  let asset = await findCachedAsset(db, cacheKey);
  if (!asset) {
    const outPath = path.join(jobWorkDir(rt, jobId), `clip-${index}.mp4`);
    await provider.animateImage({
      imagePath: await rt.store.localPath(image.storageKey),
      outPath,
      seconds: segment.seconds,
      profile,
      motionPrompt: segment.motionPrompt,
      seed: `${image.sha256}:${segment.motionPrompt}:${segment.clipVariation}`,
    });
    const probe = await probeMedia(outPath);
    asset = await storeAsset(rt, outPath, {
      kind: "clip",
      mime: "video/mp4",
      ext: "mp4",
      provider: provider.name,
      cacheKey,
      durationSeconds: probe.durationSeconds,
      width: profile.width,
      height: profile.height,
    });
    await fs.promises.rm(outPath, { force: true });
  }
  await storeDerivedImages(rt, asset.id);
  await db
    .update(segments)
    .set({ clipAssetId: asset.id, clipStatus: "ready", clipError: null, updatedAt: new Date() })
    .where(eq(segments.id, segment.id));
  await recordJobEvent(db, jobId, "progress", { stage: "clips", index });
  return asset.id;
}

/**
 * Stage 5 (per segment): narrates the segment's text, speeding the voice up (at most
 * MAX_NARRATION_SPEEDUP×) when the plain reading would overrun the segment.
 * @returns the narration asset id.
 */
export async function narrateStage(rt: Runtime, jobId: string, index: number): Promise<string> {
  const db = dbOf(rt);
  const segment = await loadSegment(db, jobId, index);
  if (segment.narrationAssetId) return segment.narrationAssetId;
  const job = await getJob(db, jobId);
  const tts = withSpend(rt.providers.tts, { db, stage: "tts", jobId, segmentIndex: index });
  const budget = Math.max(0.5, segment.seconds - NARRATION_TAIL_SECONDS);
  const request = { text: segment.narration, language: job.language };
  const cacheKey = cacheKeyOf({ kind: "narration", provider: tts.name, ...request, budget });
  let asset = await findCachedAsset(db, cacheKey);
  if (!asset) {
    let speech = await tts.synthesize(request);
    if (speech.durationSeconds > budget) {
      const speedup = Math.min(MAX_NARRATION_SPEEDUP, speech.durationSeconds / budget);
      speech = await tts.synthesize({ ...request, speed: speedup });
    }
    asset = await storeAsset(rt, speech.wav, {
      kind: "narration",
      mime: "audio/wav",
      ext: "wav",
      provider: tts.name,
      cacheKey,
      durationSeconds: speech.durationSeconds,
    });
  }
  await db
    .update(segments)
    .set({ narrationAssetId: asset.id, updatedAt: new Date() })
    .where(eq(segments.id, segment.id));
  await recordJobEvent(db, jobId, "progress", { stage: "narration", index });
  return asset.id;
}

/** The job's clips in timeline order, as the media engine takes them. */
async function loadTimelineClips(rt: Runtime, jobId: string) {
  const db = dbOf(rt);
  const job = await getJob(db, jobId);
  const segs = await db.select().from(segments).where(eq(segments.jobId, jobId)).orderBy(asc(segments.index));
  const clipAssets = await Promise.all(
    segs.map((s) => {
      if (!s.clipAssetId) throw new Error(`Segment ${s.index} of job ${jobId} has no clip`);
      return loadAsset(db, s.clipAssetId);
    }),
  );
  const clips = await Promise.all(
    segs.map(async (s, i) => ({
      path: await rt.store.localPath(clipAssets[i]!.storageKey),
      seconds: s.seconds,
      section: s.section,
    })),
  );
  return { job, segs, clipAssets, clips, profile: profileForAspect(job.aspect) };
}

/** Where a job's pre-rendered crossfade windows are cached between steps, on this machine. */
const transitionCacheDirOf = (rt: Runtime, jobId: string) => path.join(jobWorkDir(rt, jobId), "transitions");

/**
 * Stage 5b (parallel with narration): renders the crossfade windows at section boundaries ahead of
 * assembly, so the assemble step is a stream-copy mux. A cache on another machine's disk is simply
 * missing there: assembly then renders the windows itself.
 * @returns how many windows were rendered and how many were cached already.
 */
export async function prerenderTransitionsStage(rt: Runtime, jobId: string) {
  const { clips, profile } = await loadTimelineClips(rt, jobId);
  return prerenderTransitions({
    clips,
    crossfadeSeconds: SECTION_CROSSFADE_SECONDS,
    profile,
    transitionCacheDir: transitionCacheDirOf(rt, jobId),
  });
}

/**
 * Stage 6: assembles clips and narration into the final MP4 (crossfades between sections,
 * narration laid under each segment, a soft caption track in the job's language; with
 * `rt.audio.music` a ducked music bed, mixed to `rt.audio.loudnessLufs`, −16 LUFS by default),
 * stores it and completes the job.
 * @param beforeComplete runs after the video is stored and before the job shows as completed (book
 *   the job's credits there, so a completed job is always settled); it must be idempotent, since a
 *   crash between it and the status change runs the stage again.
 * The video's posters (JPEG and WebP, ./thumbnails.ts) are stored before the job completes.
 * @returns the final video asset id.
 */
export async function assembleStage(
  rt: Runtime,
  jobId: string,
  beforeComplete?: (videoAssetId: string) => Promise<void>,
): Promise<string> {
  const db = dbOf(rt);
  const current = await getJob(db, jobId);
  if (current.status === "completed" && current.finalAssetId) return current.finalAssetId;
  await setJobStatus(rt, jobId, "assembling");
  const { job, segs, clipAssets, clips, profile } = await loadTimelineClips(rt, jobId);
  const narrationAssets = await Promise.all(
    segs.map((s) => {
      if (!s.narrationAssetId) throw new Error(`Segment ${s.index} of job ${jobId} has no narration`);
      return loadAsset(db, s.narrationAssetId);
    }),
  );
  const totalSeconds = timelineSeconds(clips, SECTION_CROSSFADE_SECONDS);
  const dir = jobWorkDir(rt, jobId);
  const { music, loudnessLufs } = rt.audio;
  const remix = music !== "off" || loudnessLufs !== undefined;
  // A re-mixed track is encoded once in the assembly, so the narration stays PCM until then.
  const narrationPath = path.join(dir, remix ? "narration.wav" : "narration.m4a");
  const musicPath =
    music === "off"
      ? undefined
      : music === "default"
        ? (await defaultMusicBed({ outPath: path.join(dir, "music-bed.wav") })).path
        : path.resolve(music);
  const speech = await Promise.all(narrationAssets.map((n) => rt.store.localPath(n.storageKey)));
  await encodeNarration({
    cues: narrationCues(speech, clips, SECTION_CROSSFADE_SECONDS),
    totalSeconds,
    outPath: narrationPath,
    profile,
  });
  const outPath = path.join(dir, "final.mp4");
  await assembleVideo({
    clips,
    narrationPath,
    crossfadeSeconds: SECTION_CROSSFADE_SECONDS,
    profile,
    outPath,
    ...assemblyCaptions(job, segs),
    transitionCacheDir: transitionCacheDirOf(rt, jobId),
    ...(musicPath ? { music: { path: musicPath } } : {}),
    ...(loudnessLufs !== undefined ? { loudnessLufs } : {}),
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
      clips: clipAssets.map((c, i) => [c.sha256, narrationAssets[i]!.sha256]),
    }),
    durationSeconds: probe.durationSeconds,
    width: profile.width,
    height: profile.height,
  });
  await storeDerivedImages(rt, video.id);
  await beforeComplete?.(video.id);
  await setJobStatus(rt, jobId, "completed", { finalAssetId: video.id, completedAt: new Date() });
  await fs.promises.rm(dir, { recursive: true, force: true });
  return video.id;
}

/** The caption options assembleStage gives assembleVideo: each segment's narration, the job's language. */
function assemblyCaptions(job: Job, segs: readonly Segment[]) {
  return {
    captions: segs.map((s) => s.narration),
    captionLanguage: job.language === "ru" ? ("rus" as const) : ("eng" as const),
  };
}

/**
 * The captions of a completed job's video as a WebVTT file, for browsers (they do not show an
 * MP4's mov_text track). A job's own video: built like assembleStage muxes them (each segment's
 * narration on the final timeline, crossfades at section boundaries, ≤ 2 lines of ≤ 42 characters
 * per cue), so cue times match the MP4's track to the millisecond. An extension (`parentJobId`) is
 * the parent's video with a segment crossfaded on: its track is read from the stored MP4 (ffmpeg).
 * @returns the WebVTT text ("WEBVTT" and no cues when the video has no captions).
 * @throws AppError("not_found") for unknown jobs and other owners' jobs; AppError("conflict") (409)
 *   while the job is not completed (there is no video to caption yet).
 */
export async function jobCaptionsVtt(
  db: Db,
  store: BlobStore,
  jobId: string,
  ownerId: string,
): Promise<string> {
  const job = await getJob(db, jobId, ownerId);
  if (job.status !== "completed" || !job.finalAssetId) {
    throw new AppError(
      "conflict",
      `Job ${jobId} is ${job.status.replaceAll("_", " ")}: captions exist once the video is completed`,
    );
  }
  if (job.parentJobId) {
    const video = await loadAsset(db, job.finalAssetId);
    const file = await store.localPath(video.storageKey);
    const workDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-captions-"));
    try {
      return webVtt((await captionTrack(file, await probeMedia(file), workDir)).cues);
    } finally {
      await fs.promises.rm(workDir, { recursive: true, force: true });
    }
  }
  const segs = await db.select().from(segments).where(eq(segments.jobId, jobId)).orderBy(asc(segments.index));
  const cues = assemblyCaptionCues({
    clips: segs.map((s) => ({ seconds: s.seconds, section: s.section })),
    crossfadeSeconds: SECTION_CROSSFADE_SECONDS,
    profile: profileForAspect(job.aspect),
    captions: assemblyCaptions(job, segs).captions,
  });
  return webVtt(cues);
}
