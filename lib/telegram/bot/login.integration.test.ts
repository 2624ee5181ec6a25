/**
 * /login against the fake Bot API and a real database: the reply in the user's language with an
 * [Open dashboard] URL button whose token signs that user in once, the TTL in the text, the
 * refusals (no https PUBLIC_URL, a group chat), /login in the command list and the welcome.
 */
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redeemLoginToken } from "@/lib/auth/login-links";
import type { DbHandle } from "@/lib/db";
import { loginTokens } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import { findTelegramUser } from "@/lib/studio/users";
import { FakeBotApi, type FakeUser, type RecordedCall } from "../fake-bot-api";
import { type BotDeps, configureBotProfile, createBot } from "./create-bot";

const PUBLIC_URL = "https://kadr.example";
let handle: DbHandle;
let fake: FakeBotApi;
let nextUserId = 880_001;

const newUser = (language_code: string): FakeUser => ({
  id: nextUserId++,
  first_name: "Lena",
  language_code,
});
const sentTo = (chatId: number) => fake.callsTo(chatId).filter((c) => c.method === "sendMessage");
const buttons = (call: RecordedCall) =>
  (call.params.reply_markup as { inline_keyboard: { text: string; url?: string }[][] }).inline_keyboard;

/** A bot on the shared fake and database with `deps` overriding the defaults. */
function botWith(deps: Partial<BotDeps> = {}): (update: unknown) => Promise<void> {
  const bot: Bot = createBot({
    token: fake.token,
    apiRoot: fake.apiRoot,
    botInfo: fake.me,
    deps: {
      db: handle.db,
      sendEvent: async () => undefined,
      publicUrl: PUBLIC_URL,
      flowControl: { perChatIntervalMs: 5, maxRetryDelaySeconds: 2 },
      ...deps,
    },
  });
  return (update) => bot.handleUpdate(update as Update);
}

describe("/login in the Telegram chat", () => {
  beforeAll(async () => {
    fake = await FakeBotApi.start();
    handle = await openTestDb();
  });
  afterAll(async () => {
    await handle.close();
    await fake.close();
  });

  it("answers in Russian with an [Открыть панель] button whose link signs the user in once", async () => {
    const send = botWith();
    const user = newUser("ru");
    await send(fake.textUpdate(user, "/login"));
    const [reply] = sentTo(user.id);
    expect(reply!.response.ok).toBe(true);
    expect(reply!.params.text).toBe(
      "🔐 Ваша ссылка для входа в панель Kadr. Она одноразовая и действует 10 минут. Не пересылайте её: она входит от вашего имени.",
    );
    expect(reply!.params.protect_content).toBe(true);
    const rows = buttons(reply!);
    expect(rows).toHaveLength(1);
    const button = rows[0]![0];
    expect(button!.text).toBe("Открыть панель");
    expect(button!.url).toMatch(/^https:\/\/kadr\.example\/login\?token=[A-Za-z0-9_-]{43}$/);

    const token = new URL(button!.url!).searchParams.get("token")!;
    const stored = await findTelegramUser(handle.db, user.id);
    expect(await redeemLoginToken(handle.db, token)).toBe(stored!.id);
    await expect(redeemLoginToken(handle.db, token)).rejects.toMatchObject({ code: "login_link_used" });
  });

  it("answers in English with the configured lifetime; each /login is a new link", async () => {
    const send = botWith({ loginLinkTtlSeconds: 120 });
    const user = newUser("en");
    await send(fake.textUpdate(user, "/login"));
    await send(fake.textUpdate(user, "/login"));
    const [first, second] = sentTo(user.id);
    expect(first!.params.text).toBe(
      "🔐 Your sign-in link to the Kadr dashboard. It works once and expires in 2 minutes. Don't forward it: it signs in as you.",
    );
    expect(buttons(first!)[0]![0]!.text).toBe("Open dashboard");
    const urls = [first, second].map((call) => buttons(call!)[0]![0]!.url);
    expect(new Set(urls).size).toBe(2);
  });

  it("says why it sends no link without an https PUBLIC_URL, and issues none", async () => {
    const before = (await handle.db.select().from(loginTokens)).length;
    for (const publicUrl of [undefined, "http://127.0.0.1:3000"]) {
      const send = botWith({ publicUrl });
      const user = newUser("en");
      await send(fake.textUpdate(user, "/login"));
      const [reply] = sentTo(user.id);
      expect(reply!.params.text).toBe(
        "I can't send a sign-in link: this Kadr server has no public https address (PUBLIC_URL) for the dashboard yet.",
      );
      expect(reply!.params.reply_markup).toBeUndefined();
    }
    expect(await handle.db.select().from(loginTokens)).toHaveLength(before);
  });

  it("sends no link in a group chat, only a button to the private chat", async () => {
    const send = botWith();
    const user = newUser("en");
    const update = fake.textUpdate(user, "/login@kadr_test_bot");
    const groupId = -100_555_001;
    update.message.chat = { id: groupId, type: "group", title: "Team" } as never;
    const before = (await handle.db.select().from(loginTokens)).length;
    await send(update);
    const [reply] = sentTo(groupId);
    expect(reply!.params.text).toBe(
      "I send sign-in links only in our private chat. Open it and send /login there:",
    );
    expect(buttons(reply!)).toEqual([[{ text: "@kadr_test_bot", url: "https://t.me/kadr_test_bot" }]]);
    expect(await handle.db.select().from(loginTokens)).toHaveLength(before);
  });

  it("lists /login in the bot's commands and mentions it in the welcome when links work", async () => {
    const send = botWith();
    const user = newUser("ru");
    await send(fake.textUpdate(user, "/start"));
    expect(String(sentTo(user.id)[1]!.params.text)).toContain("Отправьте /login");

    const plain = newUser("en");
    await botWith({ publicUrl: undefined })(fake.textUpdate(plain, "/start"));
    expect(String(sentTo(plain.id)[1]!.params.text)).not.toContain("/login");

    const bot = createBot({
      token: fake.token,
      apiRoot: fake.apiRoot,
      botInfo: fake.me,
      deps: { db: handle.db, sendEvent: async () => undefined },
    });
    await configureBotProfile(bot, undefined);
    const [en, ru] = fake.callsOf("setMyCommands").map((c) => c.params);
    expect(en!.commands).toContainEqual({
      command: "login",
      description: "A one-time link to the dashboard in your browser",
    });
    expect(ru!.commands).toContainEqual({
      command: "login",
      description: "Одноразовая ссылка на панель в браузере",
    });
    expect(ru!.language_code).toBe("ru");
  });
});
