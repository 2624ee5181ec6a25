import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertJob, insertUser } from "@/lib/credits/test-fixtures";
import type { DbHandle } from "@/lib/db";
import { jobs } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { ACTIVE_JOBS_RETRY_SECONDS, checkJobLimits } from "./job-limits";
import { RateLimitedError } from "./rate-limited-error";

let handle: DbHandle;
const db = () => handle.db;
const MINUTE = 60_000;

describe(`job limits (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
  });
  afterAll(() => handle.close());

  it("refuses a third active job with a retry hint, and allows it once one has finished", async () => {
    const userId = await insertUser(db());
    const first = await insertJob(db(), userId, { status: "awaiting_script_approval" });
    await insertJob(db(), userId, { status: "rendering_images" });
    await insertJob(db(), userId, { status: "failed" });
    const error = await checkJobLimits(db(), userId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({
      code: "rate_limited",
      status: 429,
      retryAfterSeconds: ACTIVE_JOBS_RETRY_SECONDS,
    });
    expect((error as Error).message).toBe(
      "You already have 2 videos in progress (at most 2 at a time). Wait for one to finish, or cancel one, then try again.",
    );
    await db().update(jobs).set({ status: "completed" }).where(eq(jobs.id, first));
    await expect(checkJobLimits(db(), userId)).resolves.toBeUndefined();
  });

  it("counts creations in a sliding hour and says when the next one is possible", async () => {
    const userId = await insertUser(db());
    const now = new Date("2030-01-01T12:00:00Z");
    const limits = { maxActiveJobs: 100, maxJobsPerHour: 3 };
    for (const minutesAgo of [70, 50, 30, 10]) {
      await insertJob(db(), userId, {
        status: "completed",
        createdAt: new Date(now.getTime() - minutesAgo * MINUTE),
      });
    }
    const error = await checkJobLimits(db(), userId, { limits, now }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "rate_limited", retryAfterSeconds: 10 * 60 });
    expect((error as Error).message).toBe(
      "You have started 3 videos in the last hour (at most 3 per hour). Try again in 10 minutes.",
    );
    const almost = new Date(now.getTime() + 10 * MINUTE - 30_000);
    await expect(checkJobLimits(db(), userId, { limits, now: almost })).rejects.toMatchObject({
      retryAfterSeconds: 30,
      message: expect.stringContaining("Try again in 30 seconds."),
    });
    await expect(
      checkJobLimits(db(), userId, { limits, now: new Date(now.getTime() + 10 * MINUTE) }),
    ).resolves.toBeUndefined();
    // With a limit of 2, the second-oldest creation in the window has to leave it first.
    await expect(
      checkJobLimits(db(), userId, { limits: { ...limits, maxJobsPerHour: 2 }, now }),
    ).rejects.toMatchObject({
      retryAfterSeconds: 30 * 60,
    });
  });

  it("is exact under concurrent creations: checked and inserted in one transaction, 2 of 6 get through", async () => {
    const userId = await insertUser(db());
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        db().transaction(async (tx) => {
          await checkJobLimits(tx, userId);
          return insertJob(tx, userId);
        }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(RateLimitedError);
    expect(await db().select().from(jobs).where(eq(jobs.ownerId, userId))).toHaveLength(2);
  });

  it("names an unknown user", async () => {
    await expect(checkJobLimits(db(), "00000000-0000-4000-8000-00000000beef")).rejects.toMatchObject({
      code: "not_found",
    });
  });
});
