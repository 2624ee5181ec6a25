/**
 * `npm run bot`'s long polling against the fake Bot API: getUpdates offset / timeout / limit
 * semantics in the fake, and the real bot service polling it — a webhook removed first, queued and
 * newly arriving updates handled end to end (a topic becomes a job and its plan reply), offsets
 * confirmed, and a clean stop.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { Api, GrammyError } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grant } from "@/lib/credits/ledger";
import { estimateJob } from "@/lib/credits/pricing";
import type { DbHandle } from "@/lib/db";
import { jobs } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import { createRuntime, type Runtime } from "@/lib/runtime";
import type { OutgoingEvent } from "@/lib/studio/jobs";
import { findTelegramUser } from "@/lib/studio/users";
import { FakeBotApi } from "../fake-bot-api";
import { startLongPolling } from "./long-polling";

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("fake getUpdates", () => {
  let fake: FakeBotApi;
  let api: Api;
  beforeAll(async () => {
    fake = await FakeBotApi.start();
    api = new Api(fake.token, { apiRoot: fake.apiRoot });
  });
  afterAll(() => fake.close());

  it("returns queued updates from offset, forgets confirmed ones, honours limit and negative offsets", async () => {
    const user = { id: 31 };
    const [a, b, c] = ["a", "b", "c"].map((t) => fake.enqueue(fake.textUpdate(user, t)));
    expect((await api.getUpdates()).map((u) => u.update_id)).toEqual([a, b, c].map((u) => u!.update_id));
    expect((await api.getUpdates({ limit: 1 })).map((u) => u.update_id)).toEqual([a!.update_id]);
    // offset = b confirms a.
    expect((await api.getUpdates({ offset: b!.update_id })).map((u) => u.message?.text)).toEqual(["b", "c"]);
    expect(fake.queuedUpdates.map((u) => u.update_id)).toEqual([b!.update_id, c!.update_id]);
    // A negative offset keeps only the last -offset updates.
    expect((await api.getUpdates({ offset: -1 })).map((u) => u.message?.text)).toEqual(["c"]);
    expect(await api.getUpdates({ offset: c!.update_id + 1 })).toEqual([]);
    expect(fake.queuedUpdates).toEqual([]);
  });

  it("holds a request up to its timeout and answers as soon as an update arrives", async () => {
    const started = Date.now();
    expect(await api.getUpdates({ timeout: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    const held = api.getUpdates({ timeout: 10 });
    await new Promise((r) => setTimeout(r, 200));
    const update = fake.enqueue(fake.textUpdate({ id: 32 }, "wake up"));
    const woke = Date.now();
    expect((await held).map((u) => u.update_id)).toEqual([update.update_id]);
    expect(Date.now() - woke).toBeLessThan(500);
    await api.getUpdates({ offset: update.update_id + 1 });
  });

  it("answers 409 while a webhook is set, and to a request replaced by a newer one", async () => {
    await api.setWebhook("https://kadr.example/api/telegram/webhook");
    const conflict = await api.getUpdates().catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(GrammyError);
    expect((conflict as GrammyError).error_code).toBe(409);
    expect((conflict as GrammyError).description).toMatch(/webhook is active/);
    await api.deleteWebhook();

    const first = api.getUpdates({ timeout: 10 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    expect(await api.getUpdates()).toEqual([]);
    const replaced = await first;
    expect((replaced as GrammyError).error_code).toBe(409);
    expect((replaced as GrammyError).description).toMatch(/terminated by other getUpdates request/);
  });
});

describe("npm run bot: long polling", () => {
  let fake: FakeBotApi;
  let handle: DbHandle;
  let rt: Runtime;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-tg-polling-"));
  const events: OutgoingEvent[] = [];

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    handle = await openTestDb();
    rt = await createRuntime({ dbHandle: handle, dataDir });
  });
  afterAll(async () => {
    await handle.close();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("removes the webhook, polls with confirmed offsets, handles updates end to end, stops cleanly", async () => {
    const user = { id: 4242, first_name: "Poll", language_code: "en" };
    const api = new Api(fake.token, { apiRoot: fake.apiRoot });
    await api.setWebhook("https://kadr.example/api/telegram/webhook");
    // Sent while the bot was offline: handled on start.
    const hello = fake.enqueue(fake.textUpdate(user, "/start"));

    let topicId = 0;
    const polling = await startLongPolling({
      settings: {
        token: fake.token,
        apiRoot: fake.apiRoot,
        username: undefined,
        webhookSecret: undefined,
        publicUrl: undefined,
      },
      rt,
      sendEvent: async (e) => {
        events.push(e);
      },
      timeoutSeconds: 5,
    });
    try {
      const methods = fake.calls.map((c) => c.method);
      expect(methods.indexOf("deleteWebhook")).toBeGreaterThan(-1);
      expect(fake.callsOf("setMyCommands")).toHaveLength(2);
      const welcome = await until("the welcome", () =>
        fake.callsTo(user.id).find((c) => c.method === "sendMessage"),
      );
      expect(String(welcome.params.text)).toMatch(/^Hi! I turn a topic into a narrated video/);
      expect(methods.indexOf("deleteWebhook")).toBeLessThan(
        fake.calls.indexOf(fake.callsOf("getUpdates")[0]!),
      );

      // A topic arrives while a getUpdates is held open: it becomes a job and a plan reply.
      const userId = (await until("the user row", () => findTelegramUser(handle.db, user.id)))!.id;
      await grant(handle.db, { userId, amount: 100, key: `test-grant:${userId}` });
      await until("a held getUpdates", () => fake.pollHeld || undefined);
      const enqueuedAt = Date.now();
      const topic = fake.enqueue(fake.textUpdate(user, "Tides"));
      topicId = topic.update_id;
      const [job] = await until("the job", async () => {
        const rows = await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId));
        return rows.length ? rows : undefined;
      });
      expect(job!.topic).toBe("Tides");
      expect(events).toContainEqual(
        expect.objectContaining({
          name: "video/job.created",
          data: { jobId: job!.id, ownerId: job!.ownerId },
        }),
      );
      const plan = await until("the plan", () =>
        fake
          .callsTo(user.id)
          .find((c) => c.method === "sendMessage" && /^🎬 <b>Tides<\/b>/.test(String(c.params.text))),
      );
      expect(String(plan.params.text)).toContain(
        `Cost: ${estimateJob({ segmentCount: 10, segmentSeconds: 5 }).total} credits`,
      );

      const polls = fake.callsOf("getUpdates");
      const delivering = polls.find((c) =>
        (c.response as { result?: { update_id: number }[] }).result?.some(
          (u) => u.update_id === topic.update_id,
        ),
      )!;
      expect(delivering.params.timeout).toBe(5);
      expect(delivering.params.offset).toBe(hello.update_id + 1);
      expect(delivering.at).toBeLessThan(enqueuedAt); // it was held open, then woken
    } finally {
      await polling.stop();
    }
    // stop() confirms the handled updates: nothing is left to redeliver.
    const confirming = fake.callsOf("getUpdates").filter((c) => c.params.limit === 1);
    expect(confirming.map((c) => c.params.offset)).toEqual([topicId + 1]);
    expect(fake.queuedUpdates).toEqual([]);
    expect(polling.bot.isRunning()).toBe(false);
    await polling.done;
  });
});
