/**
 * Greetings, Extend and end-of-job notices in the chat, against the fake Bot API: the real grammY
 * bot behind the webhook handler, the embedded executor running produce-video, extend-video and
 * deliver-video in-process (local providers, real ffmpeg), the notifier polling job_events.
 *
 * - two users ask for the same greeting: one job, both chats get the video, the second by file_id;
 *   a later request is answered at once by file_id (no upload); a bad name is asked again;
 * - [➕ Extend] under the delivered greeting → prompt → a second sendVideo with a longer duration;
 * - a gate that times out: every chat of the job is told, with the credits that came back;
 * - a shared greeting that fails: each requester is told their payment is back.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { balance } from "@/lib/credits/ledger";
import { estimateExtension, estimateJob } from "@/lib/credits/pricing";
import type { DbHandle } from "@/lib/db";
import { assets, engineWaits, jobs, subscriptions, users } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { getProviders, type SynthesizeInput } from "@/lib/providers";
import { ProviderError } from "@/lib/providers/errors";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import { upsertTelegramUser } from "@/lib/studio/users";
import { createTelegramApi } from "../api";
import { FakeBotApi, type FakeUser, type RecordedCall } from "../fake-bot-api";
import { TelegramNotifier } from "../notifier";
import { subscribeChat } from "../subscriptions";
import { createWebhookHandler } from "../webhook";
import { createBot } from "./create-bot";

const PUBLIC_URL = "https://kadr.example";
const SECRET = "test_secret-456";
/** Narration with this name fails with bad credentials: the whole shared generation fails. */
const UNLUCKY = "Фейл";
const alice = { id: 710001, first_name: "Alice", language_code: "en" };
const bob = { id: 710002, first_name: "Bob", language_code: "en" };
const carol = { id: 710003, first_name: "Carol", language_code: "en" };
const dave = { id: 710004, first_name: "Dave", language_code: "en" };
const dasha = { id: 710005, first_name: "Даша", language_code: "ru" };
const egor = { id: 710006, first_name: "Егор", language_code: "ru" };
const fedor = { id: 710007, first_name: "Фёдор", language_code: "ru" };

let handle: DbHandle;
let rt: Runtime;
let executor: EmbeddedExecutor;
let fake: FakeBotApi;
let notifier: TelegramNotifier;
let post: (update: unknown) => Promise<Response>;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-tg-greet-"));

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 1800; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Markup = { inline_keyboard?: { text: string; callback_data?: string }[][]; force_reply?: boolean };
const sentTo = (chatId: number, method: string) => fake.callsTo(chatId).filter((c) => c.method === method);
const lastText = (chatId: number) => sentTo(chatId, "sendMessage").at(-1)!;
const messageIdOf = (call: RecordedCall) =>
  (call.response as { result: { message_id: number } }).result.message_id;
const markupOf = (call: RecordedCall) => call.params.reply_markup as Markup;
const userIdOf = async (user: FakeUser) =>
  (await handle.db.select().from(users).where(eq(users.telegramId, user.id)))[0]!.id;

/** /greet → the template button → the ForceReply prompt → the reply with `name`. */
async function askForGreeting(user: FakeUser, templateId: string, name: string) {
  expect((await post(fake.textUpdate(user, "/greet"))).status).toBe(200);
  const chooser = lastText(user.id);
  const buttons = markupOf(chooser).inline_keyboard!.flat();
  const button = buttons.find((b) => b.callback_data === `greet:${templateId}`);
  expect(button, JSON.stringify(buttons)).toBeDefined();
  expect(button!.text).toMatch(/ · 5 (credits|кредитов)$/);
  expect((await post(fake.callbackUpdate(user, messageIdOf(chooser), button!.callback_data!))).status).toBe(
    200,
  );
  const prompt = lastText(user.id);
  expect(markupOf(prompt).force_reply).toBe(true);
  expect(String(prompt.params.text)).toMatch(new RegExp(`🔖 greet:${templateId}$`));
  expect((await post(fake.replyUpdate(user, messageIdOf(prompt), name))).status).toBe(200);
}

describe(`greetings, extend and notices in the chat (${testDbKind()})`, () => {
  beforeAll(async () => {
    fake = await FakeBotApi.start();
    Object.assign(process.env, {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      PUBLIC_URL,
    });
    handle = await openTestDb();
    const providers = getProviders({});
    const tts = {
      ...providers.tts,
      name: providers.tts.name,
      synthesize: async (input: SynthesizeInput) => {
        if (input.text.includes(UNLUCKY)) {
          throw new ProviderError({ kind: "auth", provider: "Test voice", reason: "invalid_api_key" });
        }
        return providers.tts.synthesize(input);
      },
    };
    rt = await createRuntime({
      dbHandle: handle,
      dataDir,
      providers: { ...providers, tts },
      policy: { limits: null },
    });
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
        policy: rt.policy,
        store: rt.store,
        workDir: rt.workDir,
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
      editIntervalMs: 500,
    });
    notifier.start(200);
  });
  afterAll(async () => {
    await executor.stop();
    await notifier.stop();
    setRuntime(undefined);
    await handle.close();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("makes one greeting for two chats, sends it by file_id to the second and to a late third", async () => {
    await askForGreeting(alice, "new-year-en", "anna");
    expect(String(lastText(alice.id).params.text)).toMatch(
      /Happy New Year, Anna![\s\S]*Generating your greeting; I'll send it here\. Charged 5 credits, 95 left\./,
    );
    await askForGreeting(bob, "new-year-en", "ANNA");
    expect(String(lastText(bob.id).params.text)).toMatch(
      /Someone is already generating this greeting; I'll send it here when it's ready\. Charged 5 credits, 95 left\./,
    );
    const greetings = await handle.db.select().from(jobs).where(eq(jobs.source, "greeting"));
    expect(greetings).toHaveLength(1);
    const job = greetings[0]!;
    const subs = await handle.db.select().from(subscriptions).where(eq(subscriptions.jobId, job.id));
    expect(subs.map((s) => s.telegramChatId).sort()).toEqual([alice.id, bob.id]);
    // Both replies are the chats' progress messages, edited by the notifier from then on.
    for (const s of subs) expect(s.progressMessageId).toBe(messageIdOf(lastText(s.telegramChatId!)));

    // A bad name is asked again with the service's message; nothing is charged.
    await askForGreeting(dave, "new-year-en", "R2D2");
    const again = lastText(dave.id);
    expect(String(again.params.text)).toMatch(
      /⚠️ A name may contain letters, spaces, hyphens and apostrophes/,
    );
    expect(markupOf(again).force_reply).toBe(true);
    expect(await balance(handle.db, await userIdOf(dave))).toEqual({ available: 100, reserved: 0 });

    await until("delivery to both chats", async () => {
      const rows = await handle.db.select().from(subscriptions).where(eq(subscriptions.jobId, job.id));
      return rows.every((r) => r.deliveredAt) ? rows : undefined;
    });
    const [toAlice] = sentTo(alice.id, "sendVideo");
    const [toBob] = sentTo(bob.id, "sendVideo");
    const [done] = await handle.db.select().from(jobs).where(eq(jobs.id, job.id));
    const [video] = await handle.db.select().from(assets).where(eq(assets.id, done!.finalAssetId!));
    expect(toAlice!.multipart).toBe(true);
    // The file_id stored is the one Telegram gave for the upload to Alice.
    const uploaded = (toAlice!.response as { result: { video: { file_id: string } } }).result.video.file_id;
    expect(video!.telegramFileId).toBe(uploaded);
    expect(toBob!.multipart).toBe(false);
    expect(toBob!.params.video).toBe(video!.telegramFileId);
    // Only the job's owner may extend it.
    expect(markupOf(toAlice!).inline_keyboard!.at(-1)).toEqual([
      { text: "➕ Extend", callback_data: `extend:${job.id}` },
    ]);
    expect(
      markupOf(toBob!)
        .inline_keyboard!.flat()
        .map((b) => b.text),
    ).not.toContain("➕ Extend");

    // A late request: the video goes out while the update is handled, by file_id, no upload.
    await askForGreeting(carol, "new-year-en", "Anna");
    const [toCarol] = sentTo(carol.id, "sendVideo");
    expect(toCarol!.multipart).toBe(false);
    expect(toCarol!.params.video).toBe(video!.telegramFileId);
    expect(String(lastText(carol.id).params.text)).toBe(
      "🎁 Your greeting was ready. Charged 5 credits, 95 left.",
    );
    expect(fake.callsOf("sendVideo").filter((c) => c.multipart)).toHaveLength(1);
    const [carolSub] = await handle.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.jobId, job.id), eq(subscriptions.telegramChatId, carol.id)));
    expect(carolSub!.deliveredAt).not.toBeNull();
    expect(await balance(handle.db, await userIdOf(carol))).toEqual({ available: 95, reserved: 0 });
    expect(fake.unansweredCallbackQueries).toEqual([]);
  });

  it("extends the delivered video from its [Extend] button to a longer second video", async () => {
    const [toAlice] = sentTo(alice.id, "sendVideo");
    const parentId = markupOf(toAlice!).inline_keyboard!.at(-1)![0]!.callback_data!.split(":")[1]!;
    const press = fake.callbackUpdate(alice, messageIdOf(toAlice!), `extend:${parentId}`);
    expect((await post(press)).status).toBe(200);
    const price = estimateExtension(5);
    const prompt = lastText(alice.id);
    expect(String(prompt.params.text)).toBe(
      `➕ Extend “Happy New Year, Anna!” by one 5-second segment for ${price} credits.\nReply to this message with what the new segment should say.\n\n🔖 extend:${parentId}`,
    );
    expect(markupOf(prompt).force_reply).toBe(true);
    const before = await balance(handle.db, await userIdOf(alice));

    expect(
      (await post(fake.replyUpdate(alice, messageIdOf(prompt), "And may the snow stay soft all winter.")))
        .status,
    ).toBe(200);
    const [extension] = await handle.db.select().from(jobs).where(eq(jobs.parentJobId, parentId));
    expect(extension).toMatchObject({ source: "extension", topic: "And may the snow stay soft all winter." });
    const [sub] = await handle.db.select().from(subscriptions).where(eq(subscriptions.jobId, extension!.id));
    expect(sub).toMatchObject({ channel: "telegram", telegramChatId: alice.id });
    const reply = lastText(alice.id);
    expect(String(reply.params.text)).toContain(
      `Extending the video for ${price} credits (${before.available - price} left)`,
    );
    expect(sub!.progressMessageId).toBe(messageIdOf(reply));

    const second = await until("the longer video", () => sentTo(alice.id, "sendVideo")[1]);
    expect(Number(second.params.duration)).toBeGreaterThan(Number(toAlice!.params.duration));
    // The subscription is marked delivered right after Telegram accepted the video.
    const row = await until("the delivery mark", async () => {
      const [r] = await handle.db.select().from(subscriptions).where(eq(subscriptions.id, sub!.id));
      return r?.deliveredAt ? r : undefined;
    });
    expect(row.deliveredAt!.getTime()).toBeGreaterThanOrEqual(second.at - 1000);
    expect(fake.unansweredCallbackQueries).toEqual([]);
  });

  it("tells every chat of a job that timed out at a gate, with the credits that came back", async () => {
    expect((await post(fake.textUpdate(dasha, "Бумажные змеи"))).status).toBe(200);
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.topic, "Бумажные змеи"));
    const egorId = (
      await upsertTelegramUser(handle.db, { id: egor.id, firstName: "Егор", languageCode: "ru" })
    ).id;
    await subscribeChat(handle.db, { jobId: job!.id, userId: egorId, chatId: egor.id });
    await until("the script gate", async () => {
      const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, job!.id));
      return row!.status === "awaiting_script_approval";
    });
    const reserved = estimateJob({ segmentCount: 3, segmentSeconds: 2 }).total;
    expect(await balance(handle.db, await userIdOf(dasha))).toEqual({ available: 100 - reserved, reserved });
    const moved = await handle.db
      .update(engineWaits)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(sql`${engineWaits.stepName} = 'wait-script-approval' and ${engineWaits.runId} in (
        select id from engine_runs where event->'data'->>'jobId' = ${job!.id})`)
      .returning({ id: engineWaits.id });
    expect(moved).toHaveLength(1);

    const notice = await until("the expiry notice", () =>
      sentTo(dasha.id, "sendMessage").find((c) => String(c.params.text).startsWith("⌛")),
    );
    expect(notice.params.text).toBe(
      `⌛ Время вышло для «Бумажные змеи»: No script approval within 24h.\nЗарезервированные ${reserved} кредитов вернулись к вам; доступно 100.`,
    );
    // Egor paid nothing for it: he is told, without a credits line.
    const egorNotice = await until("Egor's notice", () =>
      sentTo(egor.id, "sendMessage").find((c) => String(c.params.text).startsWith("⌛")),
    );
    expect(egorNotice.params.text).toBe("⌛ Время вышло для «Бумажные змеи»: No script approval within 24h.");
    expect(await balance(handle.db, await userIdOf(dasha))).toEqual({ available: 100, reserved: 0 });
    // Told once: later ticks send nothing more.
    await new Promise((r) => setTimeout(r, 1000));
    expect(
      sentTo(dasha.id, "sendMessage").filter((c) => String(c.params.text).startsWith("⌛")),
    ).toHaveLength(1);
  });

  it("tells each requester of a failed shared greeting that their payment is back", async () => {
    await askForGreeting(fedor, "new-year-ru", UNLUCKY);
    expect(String(lastText(fedor.id).params.text)).toMatch(/Делаю поздравление/);
    // Egor joins the same (failing) greeting.
    await askForGreeting(egor, "new-year-ru", UNLUCKY.toLowerCase());
    expect(String(lastText(egor.id).params.text)).toMatch(/уже кто-то делает/);
    expect(await balance(handle.db, await userIdOf(egor))).toEqual({ available: 95, reserved: 5 });

    for (const user of [fedor, egor]) {
      const notice = await until(`${user.first_name}'s failure notice`, () =>
        sentTo(user.id, "sendMessage").find((c) => String(c.params.text).startsWith("❌")),
      );
      expect(String(notice.params.text)).toMatch(
        /^❌ «С Новым годом, Фейл!» не получилось: [\s\S]+\nЗарезервированные 5 кредитов вернулись к вам; доступно 100\.$/,
      );
      expect(await balance(handle.db, await userIdOf(user))).toEqual({ available: 100, reserved: 0 });
    }
  });
});
