/**
 * The whole chat flow against the fake Bot API: real grammY bot behind the webhook handler, the
 * embedded executor running produce-video and deliver-video in-process on PGlite, the notifier
 * polling job_events. A topic (3 × 2 s) goes through Approve at each gate to a delivered video.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import type { DbHandle } from "@/lib/db";
import { assets, jobs, subscriptions } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import { upsertTelegramUser } from "@/lib/studio/users";
import { createTelegramApi } from "../api";
import { deliverVideoToChat } from "../delivery";
import { FakeBotApi, type RecordedCall } from "../fake-bot-api";
import { TelegramNotifier } from "../notifier";
import { chatsFollowing, subscribeChat } from "../subscriptions";
import { createWebhookHandler } from "../webhook";
import { createBot } from "./create-bot";

const PUBLIC_URL = "https://kadr.example";
const SECRET = "test_secret-123";
const alice = { id: 424242, first_name: "Alice", language_code: "en" };
const bob = { id: 515151, first_name: "Bob", language_code: "ru" };

let handle: DbHandle;
let rt: Runtime;
let executor: EmbeddedExecutor;
let fake: FakeBotApi;
let notifier: TelegramNotifier;
let post: (update: unknown) => Promise<Response>;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-tg-flow-"));

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 900; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sentTo = (chatId: number, method: string) => fake.callsTo(chatId).filter((c) => c.method === method);
const resultOf = (call: RecordedCall) => (call.response as { result: { message_id: number } }).result;

describe(`Telegram chat flow (${testDbKind()})`, () => {
  beforeAll(async () => {
    fake = await FakeBotApi.start();
    Object.assign(process.env, {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      PUBLIC_URL,
    });
    handle = await openTestDb();
    rt = await createRuntime({ dbHandle: handle, dataDir });
    setRuntime(rt);
    executor = await startEmbeddedEngine({ db: handle.db });
    const bot = createBot({
      token: fake.token,
      apiRoot: fake.apiRoot,
      botInfo: fake.me,
      deps: {
        db: handle.db,
        sendEvent: (e) => inngest.send(e),
        publicUrl: PUBLIC_URL,
        jobDefaults: { segmentCount: 3, segmentSeconds: 2 },
        flowControl: { maxRetryDelaySeconds: 5 },
      },
    });
    const webhook = createWebhookHandler(bot, SECRET);
    post = (update) =>
      webhook(
        new Request("http://127.0.0.1/api/telegram/webhook", {
          method: "POST",
          headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
          body: JSON.stringify(update),
        }),
      );
    notifier = new TelegramNotifier({
      db: handle.db,
      api: createTelegramApi(fake.token, fake.apiRoot),
      store: rt.store,
      publicUrl: PUBLIC_URL,
    });
    notifier.start(200);
  });
  afterAll(async () => {
    await notifier.stop();
    await executor.stop();
    await handle.close();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("takes a topic through all three gates to a delivered video", async () => {
    // /start: welcome with the reply keyboard, an "Open studio" web_app button, the menu button.
    expect((await post(fake.textUpdate(alice, "/start"))).status).toBe(200);
    const [welcome, studio] = sentTo(alice.id, "sendMessage");
    expect(welcome!.params.reply_markup).toMatchObject({
      keyboard: [
        [{ text: "📊 Status" }, { text: "✅ Approve" }],
        [{ text: "✖️ Reject" }, { text: "🏠 Start" }],
      ],
      is_persistent: true,
    });
    expect(studio!.params.reply_markup).toEqual({
      inline_keyboard: [
        [{ text: "Open studio", web_app: { url: `${PUBLIC_URL}/tma` } }],
        [{ text: "🎁 Personal greeting", callback_data: "greet" }],
      ],
    });
    expect(fake.callsOf("setChatMenuButton")[0]!.params).toMatchObject({
      chat_id: alice.id,
      menu_button: { type: "web_app", web_app: { url: `${PUBLIC_URL}/tma` } },
    });

    // A topic: a job, a subscription, the plan as the progress message.
    expect((await post(fake.textUpdate(alice, "Paper boats"))).status).toBe(200);
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.topic, "Paper boats"));
    expect(job).toMatchObject({ segmentCount: 3, segmentSeconds: 2, language: "en" });
    const [subscription] = await handle.db
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.jobId, job!.id));
    expect(subscription).toMatchObject({ channel: "telegram", telegramChatId: alice.id });
    const plan = sentTo(alice.id, "sendMessage")[2]!;
    expect(plan.params.text).toMatch(/Plan: 3 segments × 2 s ≈ 6 s/);
    expect(plan.params.reply_markup).toEqual({
      inline_keyboard: [
        [{ text: "Open storyboard", web_app: { url: `${PUBLIC_URL}/tma?startapp=${job!.id}` } }],
      ],
    });
    expect(subscription!.progressMessageId).toBe(resultOf(plan).message_id);

    // Bob follows the same job (another subscriber of one render).
    const bobUser = await upsertTelegramUser(handle.db, {
      id: bob.id,
      firstName: bob.first_name,
      languageCode: "ru",
    });
    await subscribeChat(handle.db, { jobId: job!.id, userId: bobUser.id, chatId: bob.id });

    const approveAt = async (gate: string, readyText: RegExp) => {
      const prompt = await until(`${gate} preview`, () =>
        sentTo(alice.id, "sendMessage").find((c) => readyText.test(String(c.params.text))),
      );
      const markup = prompt.params.reply_markup as { inline_keyboard: { callback_data?: string }[][] };
      expect(markup.inline_keyboard[0]![0]!.callback_data).toBe(`approve:${job!.id}:${gate}`);
      const update = fake.callbackUpdate(alice, resultOf(prompt).message_id, `approve:${job!.id}:${gate}`);
      expect((await post(update)).status).toBe(200);
      const answer = fake
        .callsOf("answerCallbackQuery")
        .find((c) => c.params.callback_query_id === update.callback_query.id);
      expect(answer?.response.ok).toBe(true);
    };

    await approveAt("script", /script is ready/);
    const scriptText = sentTo(alice.id, "sendMessage").find((c) =>
      String(c.params.text).startsWith("Paper boats"),
    );
    const previewText = String(scriptText?.params.text);
    expect(previewText).toMatch(/^Paper boats\n[\s\S]{20,}/);
    expect(previewText.length).toBeLessThanOrEqual(4096);

    await approveAt("images", /Images ready: 3\/3/);
    const images = sentTo(alice.id, "sendMediaGroup")[0]!;
    expect((images.params.media as { type: string }[]).map((m) => m.type)).toEqual([
      "photo",
      "photo",
      "photo",
    ]);
    expect(images.uploads).toHaveLength(3);

    await approveAt("clips", /Clips ready: 3\/3/);
    const clips = sentTo(alice.id, "sendMediaGroup")[1]!;
    expect((clips.params.media as { type: string }[]).map((m) => m.type)).toEqual([
      "video",
      "video",
      "video",
    ]);

    // Delivery: Alice's copy is uploaded, Bob's re-uses the stored file_id.
    const delivered = await until("delivery to both chats", async () => {
      const rows = await handle.db.select().from(subscriptions).where(eq(subscriptions.jobId, job!.id));
      return rows.every((r) => r.deliveredAt) ? rows : undefined;
    });
    expect(delivered).toHaveLength(2);
    const [toAlice] = sentTo(alice.id, "sendVideo");
    const [toBob] = sentTo(bob.id, "sendVideo");
    const [finished] = await handle.db.select().from(jobs).where(eq(jobs.id, job!.id));
    const [video] = await handle.db.select().from(assets).where(eq(assets.id, finished!.finalAssetId!));
    expect(toAlice!.multipart).toBe(true);
    expect(toAlice!.uploads.map((u) => u.bytes)).toContain(video!.bytes);
    expect(toAlice!.params).toMatchObject({
      supports_streaming: "true",
      duration: String(Math.round(video!.durationSeconds!)),
      width: String(video!.width),
      height: String(video!.height),
      thumbnail: expect.stringMatching(/^attach:\/\//),
      reply_markup: {
        inline_keyboard: [
          [
            { text: "Open in editor", web_app: { url: `${PUBLIC_URL}/tma?startapp=${job!.id}` } },
            { text: "New video", callback_data: "new" },
          ],
          [{ text: "➕ Extend", callback_data: `extend:${job!.id}` }],
        ],
      },
    });
    expect(String(toAlice!.params.caption)).toMatch(/^🎬 /);
    const fileId = (toAlice!.response as { result: { video: { file_id: string } } }).result.video.file_id;
    expect(video!.telegramFileId).toBe(fileId);
    expect(toBob!.multipart).toBe(false);
    expect(toBob!.params.video).toBe(fileId);
    // Bob does not own the job: no [Extend] under his copy.
    expect(toBob!.params.reply_markup).toMatchObject({
      inline_keyboard: [[{ text: "Открыть в редакторе" }, { text: "Новое видео", callback_data: "new" }]],
    });
    expect((toBob!.params.reply_markup as { inline_keyboard: unknown[] }).inline_keyboard).toHaveLength(1);

    // The progress message ends at "done"; edits per chat never come closer than 3 s.
    await until("final progress edit", () =>
      sentTo(alice.id, "editMessageText").find((c) => /✅ done/.test(String(c.params.text))),
    );
    for (const chatId of [alice.id, bob.id]) {
      const edits = fake.calls.filter((c) => c.method === "editMessageText" && c.params.chat_id === chatId);
      for (let i = 1; i < edits.length; i++)
        expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(3000);
    }
    const aliceEdits = fake.calls.filter(
      (c) => c.method === "editMessageText" && c.params.chat_id === alice.id,
    );
    expect(aliceEdits.length).toBeGreaterThan(1);
    expect(new Set(aliceEdits.map((c) => c.params.message_id))).toEqual(
      new Set([subscription!.progressMessageId]),
    );
    // Messages to one chat are at least ~1 s apart (a media group counts per item).
    const messages = fake
      .callsTo(alice.id)
      .filter((c) => /^(send|edit)/.test(c.method) && c.method !== "sendChatAction");
    for (let i = 1; i < messages.length; i++)
      expect(messages[i]!.at - messages[i - 1]!.at).toBeGreaterThanOrEqual(950);
    expect(fake.unansweredCallbackQueries).toEqual([]);
  });

  it("sends a link instead of a video over the upload limit", async () => {
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.topic, "Paper boats"));
    const carol = await upsertTelegramUser(handle.db, { id: 616161, firstName: "Carol" });
    await subscribeChat(handle.db, { jobId: job!.id, userId: carol.id, chatId: 616161 });
    await handle.db.update(assets).set({ telegramFileId: null }).where(eq(assets.id, job!.finalAssetId!));
    const chat = (await chatsFollowing(handle.db, job!.id, true)).find((c) => c.chatId === 616161)!;
    const method = await deliverVideoToChat(
      {
        db: handle.db,
        api: createTelegramApi(fake.token, fake.apiRoot),
        store: rt.store,
        workDir: path.join(dataDir, "work"),
        publicUrl: PUBLIC_URL,
        botUsername: fake.username,
        maxUploadBytes: 1000,
      },
      job!.id,
      job!.finalAssetId!,
      chat,
    );
    expect(method).toBe("link");
    expect(sentTo(616161, "sendVideo")).toEqual([]);
    const [link] = sentTo(616161, "sendMessage");
    expect(String(link!.params.text)).toContain(`${PUBLIC_URL}/tma?startapp=${job!.id}`);
    const [row] = await handle.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.jobId, job!.id), eq(subscriptions.userId, carol.id)));
    expect(row!.deliveredAt).not.toBeNull();
  });
});
