/**
 * Job services: create, approve a gate, cancel, and read a job's view. Framework-free: each takes
 * the database and an event sender (`inngest.send` in the app) as parameters.
 */
import { randomBytes } from "node:crypto";
import { and, asc, desc, eq, inArray, isNotNull, notInArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import {
  balance,
  ensureStartingGrant,
  InsufficientCreditsError,
  release,
  releaseJob,
  reserve,
} from "@/lib/credits/ledger";
import {
  DEFAULT_PRICES,
  estimateJob,
  PAID_STAGES,
  type PriceTable,
  stageCreditKeys,
} from "@/lib/credits/pricing";
import { lockUser } from "@/lib/credits/user-lock";
import type { Db } from "@/lib/db";
import {
  approvals,
  assets,
  FINAL_JOB_STATUSES,
  type Gate,
  type Job,
  type JobStatus,
  jobEvents,
  jobs,
  providerCalls,
  type Segment,
  segments,
  users,
} from "@/lib/db/schema";
import { loadEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { checkJobLimits, type JobLimits } from "@/lib/limits/job-limits";
import { regenerationCreditKey } from "./billing";
import { type CreateJobInput, CreateJobInputSchema, describeZodError } from "./schemas";

/** An event to hand to the orchestrator (Inngest event payload). */
export interface OutgoingEvent {
  name: string;
  data: Record<string, unknown>;
  /** Idempotency id: the same id never starts a second run. */
  id?: string;
}
export type SendEvent = (event: OutgoingEvent) => Promise<unknown>;

export interface StudioDeps {
  db: Db;
  sendEvent: SendEvent;
  /** Prices and limits; each part defaults to `studioPolicy()` (the environment). */
  policy?: Partial<StudioPolicy>;
}

/** The business rules a studio service applies: what jobs cost and how many a user may start. */
export interface StudioPolicy {
  prices: PriceTable;
  /** Limits for every user but the local owner (who runs Kadr for themselves); null = none. */
  limits: JobLimits | null;
}

/**
 * The policy from the environment: KADR_MAX_ACTIVE_JOBS and KADR_MAX_JOBS_PER_HOUR (0 = no limit),
 * Kadr's default prices; overridden per part by `deps.policy`.
 */
export function studioPolicy(deps?: Pick<StudioDeps, "policy">): StudioPolicy {
  const env = loadEnv();
  const unlimitedIfZero = (n: number) => (n === 0 ? Number.POSITIVE_INFINITY : n);
  return {
    prices: deps?.policy?.prices ?? DEFAULT_PRICES,
    limits:
      deps?.policy?.limits === undefined
        ? {
            maxActiveJobs: unlimitedIfZero(env.KADR_MAX_ACTIVE_JOBS),
            maxJobsPerHour: unlimitedIfZero(env.KADR_MAX_JOBS_PER_HOUR),
          }
        : deps.policy.limits,
  };
}

/**
 * Locks the user for a new job and checks their job limits (not for the local owner). Call it
 * first in the transaction that inserts the job.
 * @throws RateLimitedError (429) at a limit; AppError("not_found") for an unknown user.
 */
export async function admitNewJob(tx: Db, deps: Pick<StudioDeps, "policy">, ownerId: string): Promise<void> {
  const { limits } = studioPolicy(deps);
  if (limits && ownerId !== LOCAL_OWNER_ID) await checkJobLimits(tx, ownerId, { limits });
  else await lockUser(tx, ownerId);
}

/** Status a job has while it waits at each gate. */
export const GATE_STATUS: Record<Gate, JobStatus> = {
  script: "awaiting_script_approval",
  images: "awaiting_images_approval",
  clips: "awaiting_clips_approval",
};

/** Event name that approves each gate (see inngest/events.ts). */
export const GATE_EVENT_NAME: Record<Gate, string> = {
  script: "video/script.approved",
  images: "video/images.approved",
  clips: "video/clips.approved",
};

/** A new url-safe job id: 12 chars of [A-Za-z0-9_-] (fits Telegram `startapp` payloads). */
export function newJobId(): string {
  return randomBytes(9).toString("base64url");
}

/** Cyrillic letters anywhere → "ru", otherwise "en". */
export function detectLanguage(text: string): "ru" | "en" {
  return /[\u0400-\u04FF]/.test(text) ? "ru" : "en";
}

/** Fixed id of the single local owner, so concurrent first calls agree on one row. */
export const LOCAL_OWNER_ID = "00000000-0000-4000-8000-000000000001";

/**
 * The single local owner used when no Telegram bot is configured (created on first use, with a
 * one-time grant of KADR_LOCAL_OWNER_CREDITS: you run Kadr for yourself and pay the providers).
 */
export async function ensureLocalOwner(db: Db): Promise<string> {
  await db
    .insert(users)
    .values({ id: LOCAL_OWNER_ID, displayName: "Local owner", language: "en" })
    .onConflictDoNothing();
  await ensureStartingGrant(db, LOCAL_OWNER_ID, loadEnv().KADR_LOCAL_OWNER_CREDITS);
  return LOCAL_OWNER_ID;
}

/** Appends an entry to a job's timeline. */
export async function recordJobEvent(
  db: Db,
  jobId: string,
  type: string,
  data: Record<string, unknown> = {},
) {
  await db.insert(jobEvents).values({ jobId, type, data });
}

/**
 * Validates the input, admits the job (limits), stores it with a credit reservation per paid stage
 * (lib/credits/pricing.ts `estimateJob`: script, images, clips, narration) in one transaction, and
 * starts its pipeline (`video/job.created`). The pipeline captures what each stage spends and
 * releases the rest; failure, cancellation and gate timeouts release everything still held.
 * @throws AppError("bad_input") naming the problem; InsufficientCreditsError (402) naming the
 *   credits needed and the balance; RateLimitedError (429) at a job limit — nothing is stored then.
 * @throws whatever the event sender throws; the reservations are released and the job row removed
 *   again, so no half-made job and no held credits stay.
 */
export async function createJob(deps: StudioDeps, ownerId: string, input: CreateJobInput): Promise<Job> {
  const parsed = CreateJobInputSchema.safeParse(input);
  if (!parsed.success) throw new AppError("bad_input", describeZodError(parsed.error));
  const value = parsed.data;
  const text = value.topic ?? value.scriptText ?? "";
  const language = value.language ?? detectLanguage(text);
  if (value.scriptText) {
    const words = value.scriptText.split(/\s+/).filter(Boolean).length;
    if (words < value.segmentCount) {
      throw new AppError(
        "bad_input",
        `The script has ${words} words, fewer than the ${value.segmentCount} segments asked for: use fewer segments`,
      );
    }
  }
  const topic = value.topic ?? firstLine(value.scriptText ?? "");
  const id = newJobId();
  const estimate = estimateJob(value, studioPolicy(deps).prices);
  const job = await deps.db.transaction(async (tx) => {
    await admitNewJob(tx, deps, ownerId);
    const { available } = await balance(tx, ownerId);
    if (available < estimate.total) throw new InsufficientCreditsError(estimate.total, available);
    const [row] = await tx
      .insert(jobs)
      .values({
        id,
        ownerId,
        source: value.scriptText ? "script" : "topic",
        topic,
        scriptText: value.scriptText ?? null,
        language,
        segmentCount: value.segmentCount,
        segmentSeconds: value.segmentSeconds,
        aspect: value.aspect,
        status: "queued",
      })
      .returning();
    for (const stage of PAID_STAGES) {
      const amount = estimate.stages[stage];
      if (amount > 0) {
        await reserve(tx, {
          userId: ownerId,
          jobId: id,
          amount,
          key: stageCreditKeys(id, stage).reservation,
        });
      }
    }
    await recordJobEvent(tx, id, "status", { status: "queued" });
    return row!;
  });
  await startOrUndo(deps, job, {
    name: "video/job.created",
    data: { jobId: id, ownerId },
    id: `job-created-${id}`,
  });
  return job;
}

/**
 * Sends the event that starts a stored job's run. When sending fails, the job's reservations are
 * released and the job row is deleted (its ledger entries stay, net zero, with job_id null).
 * @throws whatever the event sender throws.
 */
export async function startOrUndo(deps: StudioDeps, job: Job, event: OutgoingEvent): Promise<void> {
  try {
    await deps.sendEvent(event);
  } catch (err) {
    await releaseJob(deps.db, { jobId: job.id, key: "not-started" });
    await deps.db.delete(jobs).where(eq(jobs.id, job.id));
    throw err;
  }
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim()) ?? text;
  const trimmed = line.trim();
  return trimmed.length > 120 ? `${trimmed.slice(0, 119)}…` : trimmed;
}

/**
 * Loads a job, checking it belongs to `ownerId` when given.
 * @throws AppError("not_found") for unknown ids and other owners' jobs alike.
 */
export async function getJob(db: Db, jobId: string, ownerId?: string): Promise<Job> {
  const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
  if (!job || (ownerId && job.ownerId !== ownerId)) throw new AppError("not_found", `No job ${jobId}`);
  return job;
}

/**
 * Approves the gate the job is waiting at.
 * @throws AppError("conflict") when the job is not waiting at `gate`, or (images and clips gates)
 *   when a segment's media is not ready (a regeneration in progress or failed).
 */
export async function approveGate(
  deps: StudioDeps,
  jobId: string,
  gate: Gate,
  actor: string,
  ownerId?: string,
) {
  const job = await getJob(deps.db, jobId, ownerId);
  if (job.status !== GATE_STATUS[gate]) {
    throw new AppError(
      "conflict",
      `Job ${jobId} is ${job.status.replaceAll("_", " ")}, not waiting for ${gate} approval`,
    );
  }
  if (gate !== "script") {
    const column = gate === "images" ? segments.imageStatus : segments.clipStatus;
    const notReady = await deps.db
      .select({ index: segments.index })
      .from(segments)
      .where(and(eq(segments.jobId, jobId), notInArray(column, ["ready"])))
      .orderBy(asc(segments.index));
    if (notReady.length) {
      const list = notReady.map((s) => s.index + 1).join(", ");
      throw new AppError("conflict", `Segment ${list} ${notReady.length > 1 ? "are" : "is"} not ready yet`);
    }
  }
  await deps.db.insert(approvals).values({ jobId, gate, decision: "approved", actor }).onConflictDoNothing();
  await recordJobEvent(deps.db, jobId, "approval", { gate, actor });
  await deps.sendEvent({
    name: GATE_EVENT_NAME[gate],
    data: { jobId, actor },
    id: `approve-${jobId}-${gate}`,
  });
}

/**
 * Cancels (rejects) a job that is not finished yet: its pipeline run stops (cancelOn), every credit
 * it still holds is released at once, and `video/job.cancelled` also starts the removal of the
 * files only this job uses (inngest/functions/clean-up-job.ts).
 * @throws AppError("conflict") for finished jobs.
 */
export async function cancelJob(deps: StudioDeps, jobId: string, actor: string, ownerId?: string) {
  const job = await getJob(deps.db, jobId, ownerId);
  // One transaction: nobody sees the job cancelled while it still holds credits.
  await deps.db.transaction(async (tx) => {
    const updated = await tx
      .update(jobs)
      .set({ status: "cancelled", updatedAt: new Date(), version: job.version + 1 })
      .where(and(eq(jobs.id, jobId), notInArray(jobs.status, [...FINAL_JOB_STATUSES])))
      .returning({ id: jobs.id });
    if (!updated.length) throw new AppError("conflict", `Job ${jobId} is already ${job.status}`);
    await releaseJob(tx, { jobId, key: "cancelled" });
  });
  await recordJobEvent(deps.db, jobId, "status", { status: "cancelled", actor });
  await deps.sendEvent({ name: "video/job.cancelled", data: { jobId }, id: `cancel-${jobId}` });
}

/** Per-stage progress counts, e.g. images 7 of 10. */
export interface StageCounts {
  segments: number;
  images: number;
  clips: number;
  narration: number;
}

/** A segment with the storage keys of its current media (null until made). */
export type SegmentView = Segment & { imageStorageKey: string | null; clipStorageKey: string | null };

export interface JobView {
  job: Job;
  segments: SegmentView[];
  counts: StageCounts;
  approvals: { gate: Gate; actor: string; createdAt: Date }[];
  /** What the job's provider calls cost so far: credits and an estimate in US dollars. */
  cost: { credits: number; usd: number };
  finalAsset: {
    id: string;
    storageKey: string;
    durationSeconds: number | null;
    width: number | null;
    height: number | null;
  } | null;
}

/** Everything a status view shows: the job, its segments, stage counts, approvals, final asset. */
export async function getJobView(db: Db, jobId: string, ownerId?: string): Promise<JobView> {
  const job = await getJob(db, jobId, ownerId);
  const imageAssets = alias(assets, "image_assets");
  const clipAssets = alias(assets, "clip_assets");
  const rows = await db
    .select({
      segment: segments,
      imageStorageKey: imageAssets.storageKey,
      clipStorageKey: clipAssets.storageKey,
    })
    .from(segments)
    .leftJoin(imageAssets, eq(imageAssets.id, segments.imageAssetId))
    .leftJoin(clipAssets, eq(clipAssets.id, segments.clipAssetId))
    .where(eq(segments.jobId, jobId))
    .orderBy(asc(segments.index));
  const segs: SegmentView[] = rows.map((r) => ({
    ...r.segment,
    imageStorageKey: r.imageStorageKey,
    clipStorageKey: r.clipStorageKey,
  }));
  const gates = await db.select().from(approvals).where(eq(approvals.jobId, jobId));
  const [finalAsset] = job.finalAssetId
    ? await db
        .select({
          id: assets.id,
          storageKey: assets.storageKey,
          durationSeconds: assets.durationSeconds,
          width: assets.width,
          height: assets.height,
        })
        .from(assets)
        .where(eq(assets.id, job.finalAssetId))
    : [];
  const [spend] = await db
    .select({
      credits: sql<number>`coalesce(sum(${providerCalls.costCredits}), 0)::int`,
      usd: sql<number>`coalesce(sum(${providerCalls.costUsd}), 0)::float8`,
    })
    .from(providerCalls)
    .where(eq(providerCalls.jobId, jobId));
  return {
    job,
    segments: segs,
    cost: { credits: Number(spend?.credits ?? 0), usd: Number(spend?.usd ?? 0) },
    counts: {
      segments: job.segmentCount,
      images: segs.filter((s) => s.imageStatus === "ready").length,
      clips: segs.filter((s) => s.clipStatus === "ready").length,
      narration: segs.filter((s) => s.narrationAssetId).length,
    },
    approvals: gates.map((a) => ({ gate: a.gate, actor: a.actor, createdAt: a.createdAt })),
    finalAsset: finalAsset ?? null,
  };
}

/** Most recent jobs of an owner, newest first. */
export async function listJobs(db: Db, ownerId: string, limit = 50): Promise<Job[]> {
  return db.select().from(jobs).where(eq(jobs.ownerId, ownerId)).orderBy(desc(jobs.createdAt)).limit(limit);
}

/** Jobs that are not in a final status (used by --resume to reject finished jobs). */
export async function isJobOpen(db: Db, jobId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.id, jobId), notInArray(jobs.status, [...FINAL_JOB_STATUSES])));
  return Boolean(row);
}

/** What a regeneration replaces, and the gate the job must be waiting at for it. */
export const REGENERATION_GATE = { image: "images", clip: "clips" } as const satisfies Record<string, Gate>;
export type RegenerationTarget = keyof typeof REGENERATION_GATE;

/**
 * Asks for a new take of one segment's image or clip while the job waits at that gate: the segment
 * goes back to `pending` with its variation bumped (a new seed), one segment's price is reserved
 * (lib/studio/billing.ts `regenerationCreditKey`; captured when the take is ready, released when it
 * fails), and `regenerate-segment` renders it.
 * @throws AppError("bad_input") for an index outside the job; AppError("conflict") when the job is
 *   not waiting at the matching gate or the segment is already being regenerated;
 *   InsufficientCreditsError (402) — the segment is left as it was.
 * @throws whatever the event sender throws; the reservation is released and the segment marked
 *   failed ("could not start"), so it can be regenerated again.
 * @returns the new variation number.
 */
export async function requestRegeneration(
  deps: StudioDeps,
  jobId: string,
  index: number,
  target: RegenerationTarget,
  actor: string,
  ownerId?: string,
): Promise<number> {
  const job = await getJob(deps.db, jobId, ownerId);
  const gate = REGENERATION_GATE[target];
  if (job.status !== GATE_STATUS[gate]) {
    throw new AppError(
      "conflict",
      `A ${target} can be regenerated only while the job waits for ${gate} approval`,
    );
  }
  if (!Number.isInteger(index) || index < 0 || index >= job.segmentCount) {
    throw new AppError(
      "bad_input",
      `Segment ${index + 1} does not exist: the job has ${job.segmentCount} segments`,
    );
  }
  return startSegmentTake(deps, job, index, target, actor);
}

/** An instruction edit of a segment's current image, as `startSegmentTake` takes it. */
export interface ImageEditTake {
  /** The user's instruction, trimmed, 1–500 characters. */
  instruction: string;
}

/**
 * Starts a new take of one segment's image or clip — a regeneration, or with `edit` an instruction
 * edit of the current image — for a job the caller has checked (owner, gate, index): in one
 * transaction the segment goes `pending` with its variation bumped, one segment's price is
 * reserved under `regenerationCreditKey` and a "regeneration" job event is recorded; then
 * `video/segment.regeneration.requested` is sent (with `edit: { instruction, sourceAssetId }` for
 * an edit). A regeneration forgets the old media; an edit keeps the image it starts from as the
 * segment's image, so a failed edit still shows it.
 * @throws AppError("conflict") when the segment is already being regenerated (or, for an edit, has
 *   no finished image); InsufficientCreditsError (402) — the segment is left as it was.
 * @throws whatever the event sender throws; the reservation is released and the segment marked
 *   failed ("could not start").
 * @returns the new variation number.
 */
export async function startSegmentTake(
  deps: StudioDeps,
  job: Job,
  index: number,
  target: RegenerationTarget,
  actor: string,
  edit?: ImageEditTake,
): Promise<number> {
  const jobId = job.id;
  const { prices } = studioPolicy(deps);
  const price = target === "image" ? prices.imagePerSegment : prices.clipPerSegment;
  const editing = edit !== undefined && target === "image";
  const { variation, sourceAssetId } = await deps.db.transaction(async (tx) => {
    const [segment] = await tx
      .update(segments)
      .set(
        target === "image"
          ? {
              imageStatus: "pending",
              ...(editing ? {} : { imageAssetId: null }),
              imageVariation: sql`${segments.imageVariation} + 1`,
            }
          : { clipStatus: "pending", clipAssetId: null, clipVariation: sql`${segments.clipVariation} + 1` },
      )
      .where(
        and(
          eq(segments.jobId, jobId),
          eq(segments.index, index),
          editing
            ? and(eq(segments.imageStatus, "ready"), isNotNull(segments.imageAssetId))
            : inArray(target === "image" ? segments.imageStatus : segments.clipStatus, ["ready", "failed"]),
        ),
      )
      .returning();
    if (!segment) {
      throw new AppError(
        "conflict",
        editing
          ? `Segment ${index + 1} has no finished image to edit`
          : `Segment ${index + 1} is already being regenerated`,
      );
    }
    const taken = target === "image" ? segment.imageVariation : segment.clipVariation;
    if (price > 0) {
      await reserve(tx, {
        userId: job.ownerId,
        jobId,
        amount: price,
        key: regenerationCreditKey(jobId, target, index, taken),
      });
    }
    const source = editing ? segment.imageAssetId! : undefined;
    await recordJobEvent(tx, jobId, "regeneration", {
      index,
      target,
      variation: taken,
      actor,
      ...(editing ? { instruction: edit.instruction, sourceAssetId: source } : {}),
    });
    return { variation: taken, sourceAssetId: source };
  });
  try {
    await deps.sendEvent({
      name: "video/segment.regeneration.requested",
      data: {
        jobId,
        ownerId: job.ownerId,
        index,
        target,
        variation,
        ...(editing ? { edit: { instruction: edit.instruction, sourceAssetId } } : {}),
      },
      id: `${editing ? "edit" : "regenerate"}-${jobId}-${index}-${target}-${variation}`,
    });
  } catch (err) {
    const reservationKey = regenerationCreditKey(jobId, target, index, variation);
    if (price > 0) await release(deps.db, { reservationKey, key: "not-started" });
    const reason = `The ${editing ? "edit" : "regeneration"} could not start: try again`;
    await deps.db
      .update(segments)
      .set(
        target === "image"
          ? { imageStatus: "failed", imageError: reason }
          : { clipStatus: "failed", clipError: reason },
      )
      .where(and(eq(segments.jobId, jobId), eq(segments.index, index)));
    throw err;
  }
  return variation;
}
