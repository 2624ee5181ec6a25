import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { creditLedger, generations, jobs, subscriptions } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { requestFingerprint } from "./fingerprint";
import { InsufficientCreditsError, reserve } from "./ledger";
import {
  completeGeneration,
  failGeneration,
  findGeneration,
  insertOrSubscribe,
  type SharedRequest,
} from "./shared-generations";
import { finishJob, insertJob, insertUser } from "./test-fixtures";

let handle: DbHandle;
const db = () => handle.db;

function greeting(name: string) {
  return requestFingerprint({ kind: "greeting", inputs: { name }, options: { template: "new-year-en" } });
}

describe(`shared generations (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
  });
  afterAll(() => handle.close());

  it("100 concurrent identical requests start exactly one job and subscribe all 100", async () => {
    const fingerprint = greeting("Anna");
    const userIds = await Promise.all(Array.from({ length: 100 }, () => insertUser(db())));
    let starts = 0;
    const outcomes = await Promise.all(
      userIds.map((userId) =>
        insertOrSubscribe(
          db(),
          { fingerprint, kind: "greeting", userId, channel: "telegram" },
          async (tx) => {
            starts++;
            return insertJob(tx, userId, { topic: "Happy New Year, Anna" });
          },
        ),
      ),
    );
    expect(starts).toBe(1);
    expect(outcomes.filter((o) => o.role === "owner")).toHaveLength(1);
    expect(outcomes.filter((o) => o.role === "subscriber")).toHaveLength(99);
    const jobIds = new Set(outcomes.map((o) => o.jobId));
    expect(jobIds.size).toBe(1);
    const [jobId] = [...jobIds];
    expect(
      await db().select().from(generations).where(eq(generations.fingerprint, fingerprint)),
    ).toHaveLength(1);
    expect(await db().select().from(jobs).where(eq(jobs.topic, "Happy New Year, Anna"))).toHaveLength(1);
    const subs = await db().select().from(subscriptions).where(eq(subscriptions.jobId, jobId!));
    expect(subs).toHaveLength(100);
    expect(new Set(subs.map((s) => s.userId))).toEqual(new Set(userIds));
    expect(outcomes.every((o) => o.newSubscription)).toBe(true);
  });

  it("serves a finished generation at once with its Telegram file_id, and a repeat adds no subscription", async () => {
    const fingerprint = greeting("Boris");
    const owner = await insertUser(db());
    const request: SharedRequest = {
      fingerprint,
      kind: "greeting",
      userId: owner,
      channel: "telegram",
      telegramChatId: 42,
    };
    const first = await insertOrSubscribe(db(), request, (tx) => insertJob(tx, owner));
    const assetId = await finishJob(db(), first.jobId, "file-id-boris");
    expect(await completeGeneration(db(), first.jobId)).toMatchObject({
      status: "completed",
      resultAssetId: assetId,
    });

    const late = await insertUser(db());
    const neverStarts = async (): Promise<string> => {
      throw new Error("a finished generation must not start a job");
    };
    const served = await insertOrSubscribe(db(), { ...request, userId: late }, neverStarts);
    expect(served).toMatchObject({
      role: "completed",
      jobId: first.jobId,
      newSubscription: true,
      result: { assetId, telegramFileId: "file-id-boris" },
    });
    const again = await insertOrSubscribe(db(), { ...request, userId: late }, neverStarts);
    expect(again).toMatchObject({
      role: "completed",
      subscriptionId: served.subscriptionId,
      newSubscription: false,
    });
    expect(await db().select().from(subscriptions).where(eq(subscriptions.jobId, first.jobId))).toHaveLength(
      2,
    );
  });

  it("a failed generation lists its subscribers once and is restarted by the next request", async () => {
    const fingerprint = greeting("Chloé");
    const [a, b, c] = [await insertUser(db()), await insertUser(db()), await insertUser(db())];
    const ask = (userId: string) =>
      insertOrSubscribe(db(), { fingerprint, kind: "greeting", userId, channel: "dashboard" }, (tx) =>
        insertJob(tx, userId),
      );
    const first = await ask(a);
    await ask(b);
    const told = await failGeneration(db(), first.jobId, "provider down");
    expect(told.map((s) => s.userId)).toEqual([a, b]);
    expect(await failGeneration(db(), first.jobId, "provider down")).toHaveLength(2);
    expect(await findGeneration(db(), fingerprint)).toMatchObject({
      status: "failed",
      error: "provider down",
    });

    const retry = await ask(c);
    expect(retry.role).toBe("owner");
    expect(retry.jobId).not.toBe(first.jobId);
    expect(await findGeneration(db(), fingerprint)).toMatchObject({
      status: "running",
      jobId: retry.jobId,
      startedBy: c,
    });
    expect(await failGeneration(db(), first.jobId, "late duplicate")).toEqual([]);
  });

  it("restarts a generation whose job was cancelled, once under concurrent requests", async () => {
    const fingerprint = greeting("Dmitri");
    const owner = await insertUser(db());
    const first = await insertOrSubscribe(
      db(),
      { fingerprint, kind: "greeting", userId: owner, channel: "cli" },
      (tx) => insertJob(tx, owner),
    );
    await db().update(jobs).set({ status: "cancelled" }).where(eq(jobs.id, first.jobId));
    const users = await Promise.all(Array.from({ length: 10 }, () => insertUser(db())));
    const outcomes = await Promise.all(
      users.map((userId) =>
        insertOrSubscribe(db(), { fingerprint, kind: "greeting", userId, channel: "cli" }, (tx) =>
          insertJob(tx, userId),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.role === "owner")).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.jobId)).size).toBe(1);
    expect(outcomes[0]!.jobId).not.toBe(first.jobId);
  });

  it("rolls back the claim when starting the job fails, or when the requester cannot pay", async () => {
    const fingerprint = greeting("Eve");
    const userId = await insertUser(db());
    const request: SharedRequest = { fingerprint, kind: "greeting", userId, channel: "telegram" };
    await expect(
      insertOrSubscribe(db(), request, async () => {
        throw new Error("engine down");
      }),
    ).rejects.toThrow("engine down");
    expect(await findGeneration(db(), fingerprint)).toBeUndefined();

    // Charging inside an outer transaction: no credits, so nothing at all is stored.
    const charged = db().transaction(async (tx) => {
      const outcome = await insertOrSubscribe(tx, request, (inner) =>
        insertJob(inner, userId, { topic: "Eve" }),
      );
      await reserve(tx, { userId, jobId: outcome.jobId, amount: 5, key: `shared:${fingerprint}:${userId}` });
      return outcome;
    });
    await expect(charged).rejects.toBeInstanceOf(InsufficientCreditsError);
    expect(await findGeneration(db(), fingerprint)).toBeUndefined();
    expect(await db().select().from(jobs).where(eq(jobs.topic, "Eve"))).toEqual([]);
    expect(await db().select().from(subscriptions).where(eq(subscriptions.userId, userId))).toEqual([]);
    expect(await db().select().from(creditLedger).where(eq(creditLedger.userId, userId))).toEqual([]);
  });
});
