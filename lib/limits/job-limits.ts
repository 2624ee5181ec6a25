/**
 * Per-user job limits: at most `maxActiveJobs` unfinished jobs at a time, and at most
 * `maxJobsPerHour` job creations in any sliding hour (counted from `jobs.created_at`).
 */
import { and, asc, count, eq, gt, notInArray } from "drizzle-orm";
import { lockUser } from "@/lib/credits/user-lock";
import type { Db } from "@/lib/db";
import { FINAL_JOB_STATUSES, jobs } from "@/lib/db/schema";
import { describeWait, RateLimitedError } from "./rate-limited-error";

export interface JobLimits {
  /** Unfinished jobs a user may have at once. */
  maxActiveJobs: number;
  /** Jobs a user may create within any hour. */
  maxJobsPerHour: number;
}

/** Defaults (the caller may read overrides from the environment). */
export const DEFAULT_JOB_LIMITS: JobLimits = { maxActiveJobs: 2, maxJobsPerHour: 10 };

/** Retry hint when the active-job limit is hit: jobs end at unknown times, so ask again in a minute. */
export const ACTIVE_JOBS_RETRY_SECONDS = 60;

const HOUR_MS = 3_600_000;

/**
 * Refuses a new job when the user is at a limit. Call it inside the transaction that inserts the
 * job: it locks the user's row (lib/credits/user-lock.ts), so concurrent creations by one user are
 * counted one after another and the limits are exact.
 * @param options.now the current time (tests inject it); default `new Date()`.
 * @throws RateLimitedError (429) naming the limit, with `retryAfterSeconds`: a fixed hint for the
 *   active-job limit, the time until the oldest creation leaves the window for the hourly limit;
 *   AppError("not_found") for an unknown user.
 */
export async function checkJobLimits(
  db: Db,
  userId: string,
  options: { limits?: JobLimits; now?: Date } = {},
): Promise<void> {
  const limits = options.limits ?? DEFAULT_JOB_LIMITS;
  const now = options.now ?? new Date();
  await lockUser(db, userId);

  const [active] = await db
    .select({ n: count() })
    .from(jobs)
    .where(and(eq(jobs.ownerId, userId), notInArray(jobs.status, [...FINAL_JOB_STATUSES])));
  if ((active?.n ?? 0) >= limits.maxActiveJobs) {
    throw new RateLimitedError(
      `You already have ${active!.n} videos in progress (at most ${limits.maxActiveJobs} at a time). ` +
        "Wait for one to finish, or cancel one, then try again.",
      ACTIVE_JOBS_RETRY_SECONDS,
    );
  }

  const windowStart = new Date(now.getTime() - HOUR_MS);
  const recent = await db
    .select({ createdAt: jobs.createdAt })
    .from(jobs)
    .where(and(eq(jobs.ownerId, userId), gt(jobs.createdAt, windowStart)))
    .orderBy(asc(jobs.createdAt));
  if (recent.length >= limits.maxJobsPerHour) {
    // The window admits a new job once enough of the oldest creations have left it.
    const freeing = recent[recent.length - limits.maxJobsPerHour]!.createdAt;
    const retryAfterSeconds = Math.max(1, Math.ceil((freeing.getTime() + HOUR_MS - now.getTime()) / 1000));
    throw new RateLimitedError(
      `You have started ${recent.length} videos in the last hour (at most ${limits.maxJobsPerHour} per hour). ` +
        `Try again in ${describeWait(retryAfterSeconds)}.`,
      retryAfterSeconds,
    );
  }
}
