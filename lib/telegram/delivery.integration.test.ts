/**
 * The rendition branch of deliverVideoToChat against the fake Bot API with a small upload limit
 * (the fake answers 413 to any uploaded file over it, as Telegram does over 50 MB): a final video
 * over the limit is sent as its Telegram rendition (lib/media/telegram.ts), not as a link, and the
 * rendition's file_id becomes the asset's Telegram copy.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { assets, subscriptions } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { writeNoisyVideo } from "@/lib/media/test-support";
import { createRuntime, type Runtime } from "@/lib/runtime";
import { createJob } from "@/lib/studio/jobs";
import { upsertTelegramUser } from "@/lib/studio/users";
import { createTelegramApi } from "./api";
import { type DeliveryDeps, deliverVideoToChat } from "./delivery";
import { FakeBotApi } from "./fake-bot-api";
import { chatsFollowing, subscribeChat } from "./subscriptions";

/** The upload limit of this test's fake and of the delivery, in bytes. */
const LIMIT = 1_000_000;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-tg-rendition-"));
let handle: DbHandle;
let rt: Runtime;
let fake: FakeBotApi;

describe(`delivery of a video over the upload limit (${testDbKind()})`, () => {
  beforeAll(async () => {
    fake = await FakeBotApi.start({ maxUploadBytes: LIMIT });
    handle = await openTestDb();
    rt = await createRuntime({ dbHandle: handle, dataDir, policy: { limits: null } });
  });
  afterAll(async () => {
    await handle.close();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("uploads the rendition (≤ the limit) instead of sending a link, and reuses its file_id", async () => {
    // A 4 s 640x360 24 fps noisy final video with AAC, a few MB: over the limit.
    const source = await writeNoisyVideo(path.join(dataDir, "final.mp4"), {
      seconds: 4,
      width: 640,
      height: 360,
      noise: 30,
      qp: 10,
    });
    const blob = await rt.store.putFile(source, "video", "mp4");
    expect(blob.bytes).toBeGreaterThan(2 * LIMIT);
    const [video] = await handle.db
      .insert(assets)
      .values({
        kind: "video",
        storageKey: blob.key,
        sha256: blob.sha256,
        mime: "video/mp4",
        bytes: blob.bytes,
        durationSeconds: 4,
        width: 640,
        height: 360,
        provider: "kadr",
      })
      .returning();
    const dana = await upsertTelegramUser(handle.db, { id: 717171, firstName: "Dana" });
    const erin = await upsertTelegramUser(handle.db, { id: 818181, firstName: "Erin" });
    const job = await createJob({ db: handle.db, sendEvent: async () => undefined }, dana.id, {
      topic: "Heavy rain",
      segmentCount: 2,
      segmentSeconds: 2,
    });
    await subscribeChat(handle.db, { jobId: job.id, userId: dana.id, chatId: 717171 });
    await subscribeChat(handle.db, { jobId: job.id, userId: erin.id, chatId: 818181 });
    const chats = await chatsFollowing(handle.db, job.id, true);
    const deps: DeliveryDeps = {
      db: handle.db,
      api: createTelegramApi(fake.token, fake.apiRoot),
      store: rt.store,
      workDir: path.join(dataDir, "work"),
      publicUrl: "https://kadr.example",
      botUsername: fake.username,
      maxUploadBytes: LIMIT,
    };

    const method = await deliverVideoToChat(deps, job.id, video!.id, chats.find((c) => c.chatId === 717171)!);

    expect(method).toBe("rendition");
    const calls = fake.callsTo(717171);
    expect(calls.filter((c) => c.method === "sendMessage")).toEqual([]);
    const sent = calls.filter((c) => c.method === "sendVideo");
    expect(sent).toHaveLength(1);
    const [call] = sent;
    expect(call!.response.ok).toBe(true);
    expect(call!.multipart).toBe(true);
    // One file uploaded (no segment image, so no thumbnail): the rendition, not the original.
    expect(call!.uploads).toHaveLength(1);
    const [upload] = call!.uploads;
    expect(upload!.bytes).toBeLessThanOrEqual(LIMIT);
    expect(upload!.bytes).toBeGreaterThan(0.7 * LIMIT);
    expect(upload!.bytes).toBeLessThan(blob.bytes);
    expect(call!.params).toMatchObject({
      supports_streaming: "true",
      duration: "4",
      width: "640",
      height: "360",
    });
    // The rendition's file_id is the asset's Telegram copy; the subscription is delivered.
    const fileId = (call!.response as { result: { video: { file_id: string } } }).result.video.file_id;
    const [stored] = await handle.db.select().from(assets).where(eq(assets.id, video!.id));
    expect(stored!.telegramFileId).toBe(fileId);
    const [row] = await handle.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.jobId, job.id), eq(subscriptions.userId, dana.id)));
    expect(row!.deliveredAt).not.toBeNull();
    // The workDir holds no rendition afterwards.
    expect(fs.readdirSync(deps.workDir)).toEqual([]);

    // The next chat gets the same file by file_id: no second encode, no upload.
    const again = await deliverVideoToChat(deps, job.id, video!.id, chats.find((c) => c.chatId === 818181)!);
    expect(again).toBe("file_id");
    const [toErin] = fake.callsTo(818181).filter((c) => c.method === "sendVideo");
    expect(toErin).toMatchObject({ multipart: false, params: { video: fileId } });
  });
});
