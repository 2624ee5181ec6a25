/**
 * Extend: a finished video gets one more segment from a prompt. The extension is a job of its own
 * (`source: "extension"`, `parentJobId` = the video it extends, one segment of the parent's length
 * and format) that the `extend-video` function runs without approval gates: plan the segment →
 * image → clip → narration → crossfade it onto the end of the parent's video → a new video. The
 * parent's video is only read. Extensions chain: extending an extension extends the longer video.
 *
 * Credits: requesting an extension reserves `estimateExtension(segmentSeconds)` credits under the
 * key `job:<jobId>:extension`; the function captures it when the new video is stored and releases
 * it when the run fails.
 */
import { eq } from "drizzle-orm";
import { z } from "zod";
import { release, reserve } from "@/lib/credits/ledger";
import { estimateExtension } from "@/lib/credits/pricing";
import { type Job, jobs } from "@/lib/db/schema";
import { loadEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { checkJobLimits, type JobLimits } from "@/lib/limits/job-limits";
import { getJob, LOCAL_OWNER_ID, newJobId, recordJobEvent, type StudioDeps } from "./jobs";
import { describeZodError } from "./schemas";

/** Longest extension prompt, in characters (after trimming). */
export const MAX_EXTENSION_PROMPT_CHARS = 1_000;

/** Event that starts an extension's run (see inngest/events.ts `extensionRequested`). */
export const EXTENSION_REQUESTED_EVENT = "video/extension.requested";

/** What a user submits to extend a video: `{ prompt }`, the new segment's text (1–1000 chars, trimmed). */
export const ExtendInputSchema = z.object(
  {
    prompt: z
      .string({ error: "The prompt must be text: write what the new segment says" })
      .trim()
      .min(1, "The prompt is empty: write what the new segment says")
      .max(MAX_EXTENSION_PROMPT_CHARS, `The prompt is longer than ${MAX_EXTENSION_PROMPT_CHARS} characters`),
  },
  { error: "The body must be a JSON object with a prompt" },
);
export type ExtendInput = z.input<typeof ExtendInputSchema>;

/** The ledger key of an extension job's reservation. */
export function extensionReservationKey(jobId: string): string {
  return `job:${jobId}:extension`;
}

/**
 * Job limits from the environment (KADR_MAX_ACTIVE_JOBS, KADR_MAX_JOBS_PER_HOUR; 0 = no limit).
 */
export function jobLimitsFromEnv(): JobLimits {
  const env = loadEnv();
  const unlimitedIfZero = (n: number) => (n === 0 ? Number.POSITIVE_INFINITY : n);
  return {
    maxActiveJobs: unlimitedIfZero(env.KADR_MAX_ACTIVE_JOBS),
    maxJobsPerHour: unlimitedIfZero(env.KADR_MAX_JOBS_PER_HOUR),
  };
}

/**
 * Asks for an extension of a finished video: validates the prompt, checks the parent, then in one
 * transaction checks the owner's job limits (not for the local owner), stores the new job
 * (`source: "extension"`, `parentJobId`, `topic` = the prompt, language / aspect / segmentSeconds
 * of the parent, one segment, `queued`) and reserves `estimateExtension(parent.segmentSeconds)`
 * credits (key `job:<jobId>:extension`). After the commit it records the job's events and sends
 * `video/extension.requested { jobId }`.
 *
 * @param ownerId the caller; the parent must be theirs.
 * @param actor who asked, for the timeline: "cli", "user:<uuid>".
 * @param options.limits overrides the limits from the environment (tests).
 * @returns the stored job row.
 * @throws AppError("bad_input") for a missing, empty or too long prompt (nothing is stored);
 *   AppError("not_found") for an unknown parent or another owner's; AppError("conflict") when the
 *   parent is not completed with a final video; InsufficientCreditsError when the owner's available
 *   credits are below the price and RateLimitedError (429) at a job limit — both roll the
 *   transaction back, so no job row and no reservation remain.
 * @throws whatever the event sender throws; the reservation is released and the job row deleted
 *   first, so no half-made job and no held credits stay.
 */
export async function requestExtension(
  deps: StudioDeps,
  ownerId: string,
  parentJobId: string,
  input: ExtendInput,
  actor: string,
  options: { limits?: JobLimits } = {},
): Promise<Job> {
  const parsed = ExtendInputSchema.safeParse(input);
  if (!parsed.success) throw new AppError("bad_input", describeZodError(parsed.error));
  const { prompt } = parsed.data;
  const parent = await getJob(deps.db, parentJobId, ownerId);
  if (parent.status !== "completed" || !parent.finalAssetId) {
    throw new AppError(
      "conflict",
      `Job ${parentJobId} is ${parent.status.replaceAll("_", " ")}: only a finished video can be extended`,
    );
  }
  const id = newJobId();
  const amount = estimateExtension(parent.segmentSeconds);
  const reservationKey = extensionReservationKey(id);
  const job = await deps.db.transaction(async (tx) => {
    if (ownerId !== LOCAL_OWNER_ID) {
      await checkJobLimits(tx, ownerId, { limits: options.limits ?? jobLimitsFromEnv() });
    }
    const [row] = await tx
      .insert(jobs)
      .values({
        id,
        ownerId,
        source: "extension",
        parentJobId: parent.id,
        topic: prompt,
        language: parent.language,
        segmentCount: 1,
        segmentSeconds: parent.segmentSeconds,
        aspect: parent.aspect,
        styleGuide: parent.styleGuide,
        status: "queued",
      })
      .returning();
    await reserve(tx, { userId: ownerId, jobId: id, amount, key: reservationKey });
    return row!;
  });
  try {
    await recordJobEvent(deps.db, id, "status", { status: "queued" });
    await recordJobEvent(deps.db, id, "extension", { parentJobId: parent.id, actor, credits: amount });
    await deps.sendEvent({
      name: EXTENSION_REQUESTED_EVENT,
      data: { jobId: id, ownerId },
      id: `extension-requested-${id}`,
    });
  } catch (err) {
    await release(deps.db, { reservationKey, key: "not-started" });
    await deps.db.delete(jobs).where(eq(jobs.id, id));
    throw err;
  }
  return job;
}
