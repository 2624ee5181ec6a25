/**
 * Shared generations: identical requests (same fingerprint, lib/credits/fingerprint.ts) share one
 * job. The first request claims the fingerprint and starts the job; a request arriving while it
 * runs subscribes to it (no new job, no provider calls); a request after it finished gets the
 * stored result at once (with its Telegram file_id, so no upload). A failed or cancelled
 * generation is restarted by the next request.
 *
 * Exactly one generation starts under concurrent identical requests: the claim is an
 * `INSERT … ON CONFLICT DO NOTHING` on the `generations` primary key, and the job is created in
 * the same transaction. On PostgreSQL a concurrent claimer waits on the uncommitted key until the
 * winner commits (then it subscribes) or rolls back (then it claims itself); restarting a failed
 * generation is a compare-and-set on its job id. PGlite runs one transaction at a time.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "@/lib/db";
import {
  assets,
  type Generation,
  generations,
  jobs,
  type SubscriptionChannel,
  subscriptions,
} from "@/lib/db/schema";
import { AppError } from "@/lib/errors";

/** One request for a shared result: who asks, where to deliver, and what (the fingerprint). */
export interface SharedRequest {
  /** requestFingerprint(…) of the request. */
  fingerprint: string;
  /** What is generated, e.g. "video" or "greeting". */
  kind: string;
  userId: string;
  channel: SubscriptionChannel;
  /** Telegram chat to deliver to (channel = telegram). */
  telegramChatId?: number | null;
}

/** The finished result a late request is served from. */
export interface SharedResult {
  assetId: string;
  storageKey: string;
  /** Telegram file_id of the video once uploaded; send it instead of uploading again. */
  telegramFileId: string | null;
}

/**
 * How a request was served. `owner`: it started the job (the caller announces the job to the
 * pipeline after this returns); `subscriber`: it joined the running job; `completed`: the result
 * exists already. `newSubscription` is false when this user already asked on this channel.
 */
export type SharedOutcome = { jobId: string; subscriptionId: string; newSubscription: boolean } & (
  | { role: "owner" }
  | { role: "subscriber" }
  | { role: "completed"; result: SharedResult }
);

/** Creates the job of a new generation inside the claiming transaction and returns its id. */
export type StartSharedJob = (tx: Db) => Promise<string>;

/**
 * Serves a request from its shared generation, starting one when none exists (or the last one
 * failed). Everything happens in one transaction, including `startJob` for the winner: if it
 * throws, nothing is stored and the error propagates. Call it inside an outer transaction to
 * charge the requester atomically (e.g. `reserve(tx, …)` after it; an InsufficientCreditsError then
 * rolls the claim and the subscription back too).
 * Side effects such as sending `video/job.created` belong after it returns (role `owner`).
 * @returns the outcome; the user is subscribed to the job in every case.
 * @throws whatever `startJob` throws.
 */
export async function insertOrSubscribe(
  db: Db,
  request: SharedRequest,
  startJob: StartSharedJob,
): Promise<SharedOutcome> {
  return db.transaction(async (tx) => {
    const claimed = await tx
      .insert(generations)
      .values({ fingerprint: request.fingerprint, kind: request.kind, startedBy: request.userId })
      .onConflictDoNothing({ target: generations.fingerprint })
      .returning({ fingerprint: generations.fingerprint });
    if (claimed.length) return startAndSubscribe(tx, request, startJob);

    const current = await currentGeneration(tx, request.fingerprint);
    if (current.restartable && (await claimForRestart(tx, request, current.generation.jobId!))) {
      return startAndSubscribe(tx, request, startJob);
    }
    const { generation } = current.restartable ? await currentGeneration(tx, request.fingerprint) : current;
    const jobId = generation.jobId!;
    const subscription = await subscribe(tx, jobId, request);
    if (generation.status === "completed") {
      return { role: "completed", jobId, ...subscription, result: await resultOf(tx, generation) };
    }
    return { role: "subscriber", jobId, ...subscription };
  });
}

/**
 * Records that a generation's job finished: later requests are served its final video at once.
 * @returns the generation, or undefined when the job is not a shared generation.
 * @throws AppError("conflict") when the job has no final video yet.
 */
export async function completeGeneration(db: Db, jobId: string): Promise<Generation | undefined> {
  const [job] = await db.select({ finalAssetId: jobs.finalAssetId }).from(jobs).where(eq(jobs.id, jobId));
  if (!job?.finalAssetId) throw new AppError("conflict", `Job ${jobId} has no final video yet`);
  const [generation] = await db
    .update(generations)
    .set({ status: "completed", resultAssetId: job.finalAssetId, error: null, updatedAt: new Date() })
    .where(eq(generations.jobId, jobId))
    .returning();
  return generation;
}

/** A subscriber of a failed generation, to be told and refunded. */
export interface GenerationSubscriber {
  subscriptionId: string;
  userId: string;
  channel: SubscriptionChannel;
  telegramChatId: number | null;
}

/**
 * Records that a generation's job failed or was cancelled (the next identical request restarts
 * it). Idempotent.
 * @returns every subscriber of the job — the caller tells each one and releases or refunds their
 *   credits; empty when the job is not a shared generation.
 */
export async function failGeneration(db: Db, jobId: string, reason: string): Promise<GenerationSubscriber[]> {
  const updated = await db
    .update(generations)
    .set({ status: "failed", error: reason, updatedAt: new Date() })
    .where(and(eq(generations.jobId, jobId), inArray(generations.status, ["running", "failed"])))
    .returning({ fingerprint: generations.fingerprint });
  if (!updated.length) return [];
  return db
    .select({
      subscriptionId: subscriptions.id,
      userId: subscriptions.userId,
      channel: subscriptions.channel,
      telegramChatId: subscriptions.telegramChatId,
    })
    .from(subscriptions)
    .where(eq(subscriptions.jobId, jobId))
    .orderBy(subscriptions.createdAt);
}

/** The shared generation of a fingerprint, if any. */
export async function findGeneration(db: Db, fingerprint: string): Promise<Generation | undefined> {
  const [generation] = await db.select().from(generations).where(eq(generations.fingerprint, fingerprint));
  return generation;
}

async function startAndSubscribe(
  tx: Db,
  request: SharedRequest,
  startJob: StartSharedJob,
): Promise<SharedOutcome> {
  const jobId = await startJob(tx);
  await tx
    .update(generations)
    .set({ jobId, updatedAt: new Date() })
    .where(eq(generations.fingerprint, request.fingerprint));
  return { role: "owner", jobId, ...(await subscribe(tx, jobId, request)) };
}

/** The generation row and whether the next request should restart it (it failed or its job did). */
async function currentGeneration(tx: Db, fingerprint: string) {
  const [row] = await tx
    .select({ generation: generations, jobStatus: jobs.status })
    .from(generations)
    .leftJoin(jobs, eq(jobs.id, generations.jobId))
    .where(eq(generations.fingerprint, fingerprint))
    // Completion (an UPDATE of this row) waits for this transaction, so a request that saw
    // "running" has committed its subscription and payment before the job's payments are captured.
    // An exclusive lock, not FOR SHARE: two restarters that both held a share lock and then both
    // tried the UPDATE of claimForRestart deadlocked (PostgreSQL 40P01, seen in CI). Requests for
    // one fingerprint now queue here for the few ms of their transaction.
    .for("update", { of: generations });
  if (!row) throw new Error(`Shared generation ${fingerprint} vanished while being claimed`);
  const jobEnded = row.jobStatus === "failed" || row.jobStatus === "cancelled";
  const restartable = row.generation.status === "failed" || (row.generation.status === "running" && jobEnded);
  return { generation: row.generation, restartable };
}

/** Compare-and-set on the job id: of concurrent restarters exactly one wins. */
async function claimForRestart(tx: Db, request: SharedRequest, previousJobId: string): Promise<boolean> {
  const restarted = await tx
    .update(generations)
    .set({
      status: "running",
      jobId: null,
      startedBy: request.userId,
      error: null,
      resultAssetId: null,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(generations.fingerprint, request.fingerprint),
        eq(generations.jobId, previousJobId),
        inArray(generations.status, ["failed", "running"]),
      ),
    )
    .returning({ fingerprint: generations.fingerprint });
  return restarted.length > 0;
}

async function subscribe(tx: Db, jobId: string, request: SharedRequest) {
  const key = { jobId, userId: request.userId, channel: request.channel };
  const [inserted] = await tx
    .insert(subscriptions)
    .values({ ...key, telegramChatId: request.telegramChatId ?? null })
    .onConflictDoNothing({ target: [subscriptions.jobId, subscriptions.userId, subscriptions.channel] })
    .returning({ id: subscriptions.id });
  if (inserted) return { subscriptionId: inserted.id, newSubscription: true };
  const [existing] = await tx
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.jobId, jobId),
        eq(subscriptions.userId, request.userId),
        eq(subscriptions.channel, request.channel),
      ),
    );
  return { subscriptionId: existing!.id, newSubscription: false };
}

async function resultOf(tx: Db, generation: Generation): Promise<SharedResult> {
  const [asset] = await tx
    .select({ assetId: assets.id, storageKey: assets.storageKey, telegramFileId: assets.telegramFileId })
    .from(assets)
    .where(eq(assets.id, generation.resultAssetId!));
  if (!asset) throw new Error(`The result of shared generation ${generation.fingerprint} is missing`);
  return asset;
}
