/**
 * The fake Bot API server against the real grammY client: Telegram's checks, realistic answers,
 * injected 429s; and Kadr's flow control (rate limiter + auto-retry) measured on its timestamps.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Api, GrammyError, HttpError, InlineKeyboard, InputFile } from "grammy";
import type { Message } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeBotApi, plainTextOfHtml } from "./fake-bot-api";
import { flowControlTransformers } from "./flow-control";

let fake: FakeBotApi;
let api: Api;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-fake-tg-"));
const chat = 1001;

async function telegramError(promise: Promise<unknown>): Promise<GrammyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GrammyError);
  return err as GrammyError;
}

describe("fake Bot API", () => {
  beforeAll(async () => {
    fake = await FakeBotApi.start({ maxUploadBytes: 2000 });
    api = new Api(fake.token, { apiRoot: fake.apiRoot });
  });
  afterAll(async () => {
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("answers getMe and rejects a wrong token", async () => {
    expect((await api.getMe()).username).toBe(fake.username);
    const wrong = new Api("1:wrong", { apiRoot: fake.apiRoot });
    expect((await telegramError(wrong.getMe())).error_code).toBe(401);
  });

  it("checks message text, HTML and edits the way Telegram does", async () => {
    const first = await api.sendMessage(chat, "<b>hi</b> &amp; bye", { parse_mode: "HTML" });
    const second = await api.sendMessage(chat, "next");
    expect(second.message_id).toBe(first.message_id + 1);
    expect(first.chat).toMatchObject({ id: chat, type: "private" });

    expect((await telegramError(api.sendMessage(chat, "x".repeat(4097)))).description).toMatch(/too long/);
    expect((await telegramError(api.sendMessage(chat, "   "))).description).toMatch(/text is empty/);
    const unclosed = await telegramError(api.sendMessage(chat, "<b>bold", { parse_mode: "HTML" }));
    expect(unclosed.description).toMatch(/can't parse entities.*end tag.*"b"/);
    const unknown = await telegramError(api.sendMessage(chat, "a <div>b</div>", { parse_mode: "HTML" }));
    expect(unknown.description).toMatch(/Unsupported start tag "div"/);
    // 4096 visible characters pass even though the HTML source is longer.
    await api.sendMessage(chat, `<b>${"y".repeat(4096)}</b>`, { parse_mode: "HTML" });

    const keyboard = new InlineKeyboard().text("A", "a");
    await api.editMessageText(chat, second.message_id, "edited", { reply_markup: keyboard });
    const same = await telegramError(
      api.editMessageText(chat, second.message_id, "edited", { reply_markup: keyboard }),
    );
    expect(same.description).toMatch(/message is not modified/);
    expect((await telegramError(api.editMessageText(chat, 999, "x"))).description).toMatch(/not found/);
    expect(fake.message(chat, second.message_id)?.text).toBe("edited");
  });

  it("validates reply_markup", async () => {
    const http = new InlineKeyboard().webApp("Open", "http://insecure.example/tma");
    expect((await telegramError(api.sendMessage(chat, "x", { reply_markup: http }))).description).toMatch(
      /Only HTTPS links are allowed/,
    );
    const long = new InlineKeyboard().text("A", "x".repeat(65));
    expect((await telegramError(api.sendMessage(chat, "x", { reply_markup: long }))).description).toMatch(
      /BUTTON_DATA_INVALID/,
    );
    const textOnly = { inline_keyboard: [[{ text: "nothing" }]] } as never;
    expect((await telegramError(api.sendMessage(chat, "x", { reply_markup: textOnly }))).description).toMatch(
      /Text buttons are unallowed/,
    );
    await api.sendMessage(chat, "ok", {
      reply_markup: new InlineKeyboard().webApp("Open", "https://kadr.example/tma"),
    });
  });

  it("uploads a video once, then accepts its file_id; rejects big files and long captions", async () => {
    const small = path.join(dir, "small.mp4");
    fs.writeFileSync(small, Buffer.alloc(1500, 1));
    const uploaded = await api.sendVideo(chat, new InputFile(small), {
      duration: 6,
      width: 640,
      height: 360,
      supports_streaming: true,
      caption: "first",
    });
    expect(uploaded.video).toMatchObject({ duration: 6, width: 640, height: 360, file_size: 1500 });
    const upload = fake.callsOf("sendVideo").at(-1)!;
    expect(upload.multipart).toBe(true);
    expect(upload.uploads[0]!.bytes).toBe(1500);
    expect(upload.params.supports_streaming).toBe("true");

    const again = await api.sendVideo(chat, uploaded.video!.file_id);
    expect(again.video!.file_unique_id).toBe(uploaded.video!.file_unique_id);
    expect(fake.callsOf("sendVideo").at(-1)!.multipart).toBe(false);

    expect((await telegramError(api.sendVideo(chat, "BAACnotafileid"))).description).toMatch(
      /wrong file identifier/,
    );
    const big = path.join(dir, "big.mp4");
    fs.writeFileSync(big, Buffer.alloc(2001, 1));
    expect((await telegramError(api.sendVideo(chat, new InputFile(big)))).error_code).toBe(413);
    const caption = await telegramError(
      api.sendVideo(chat, uploaded.video!.file_id, { caption: "c".repeat(1025) }),
    );
    expect(caption.description).toMatch(/caption is too long/);
  });

  it("sends media groups of 2-10 items", async () => {
    const photo = path.join(dir, "p.png");
    fs.writeFileSync(photo, Buffer.alloc(100, 2));
    const sent: Message[] = await api.sendMediaGroup(chat, [
      { type: "photo", media: new InputFile(photo) },
      { type: "photo", media: new InputFile(photo) },
    ]);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.media_group_id).toBe(sent[1]!.media_group_id);
    expect(sent[0]!.photo!.at(-1)!.file_id).toMatch(/^AgAC/);
    const one = await telegramError(
      api.sendMediaGroup(chat, [{ type: "photo", media: new InputFile(photo) }]),
    );
    expect(one.description).toMatch(/2-10/);
  });

  it("answers a callback query once and fails on demand with 429 retry_after", async () => {
    const update = fake.callbackUpdate({ id: chat }, 1, "x");
    await api.answerCallbackQuery(update.callback_query.id);
    expect((await telegramError(api.answerCallbackQuery(update.callback_query.id))).description).toMatch(
      /query/,
    );

    fake.failNext("sendMessage", { retryAfter: 7 });
    const limited = await telegramError(api.sendMessage(chat, "x"));
    expect(limited.error_code).toBe(429);
    expect(limited.parameters.retry_after).toBe(7);
  });

  it("parses Telegram HTML into visible text", () => {
    expect(
      plainTextOfHtml('<a href="https://x.y">a</a> &lt;b&gt; &#65;&#x42; <span class="tg-spoiler">s</span>'),
    ).toBe("a <b> AB s");
  });
});

describe("flow control", () => {
  let limited: Api;
  beforeAll(async () => {
    fake = await FakeBotApi.start();
    limited = new Api(fake.token, { apiRoot: fake.apiRoot });
    limited.config.use(...flowControlTransformers({ perChatIntervalMs: 300, maxRetryDelaySeconds: 5 }));
  });
  afterAll(() => fake.close());

  it("honours 429 retry_after, then succeeds", async () => {
    fake.failNext("sendMessage", { retryAfter: 1 });
    const message = await limited.sendMessage(5, "after the flood wait");
    expect(message.text).toBe("after the flood wait");
    const [refused, accepted] = fake.callsOf("sendMessage");
    expect(refused!.response.ok).toBe(false);
    expect(accepted!.response.ok).toBe(true);
    expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(1000);
  });

  it("gives up when retry_after exceeds the cap", async () => {
    fake.failNext("sendMessage", { retryAfter: 60 });
    expect((await telegramError(limited.sendMessage(5, "x"))).error_code).toBe(429);
  });

  it("throws a network or file error at once instead of retrying it forever", async () => {
    // A preview whose file a cancelled job's clean-up removed: auto-retry alone would retry this
    // HttpError without limit (3 s, 6 s, 12 s, … up to 1 h between tries).
    const before = fake.calls.length;
    const gone = path.join(dir, "removed.png");
    const outcome = await Promise.race([
      limited.sendPhoto(8, new InputFile(gone)).then(
        () => "sent",
        (err: unknown) => err,
      ),
      new Promise((resolve) => setTimeout(() => resolve("still retrying after 10 s"), 10_000)),
    ]);
    expect(outcome).toBeInstanceOf(HttpError);
    expect(fake.calls.length).toBe(before);
  });

  it("spaces messages to one chat but not across chats", async () => {
    const before = fake.calls.length;
    await Promise.all([
      limited.sendMessage(6, "a"),
      limited.sendMessage(6, "b"),
      limited.sendMessage(6, "c"),
      limited.sendMessage(7, "d"),
    ]);
    const calls = fake.calls.slice(before);
    const toSix = calls.filter((c) => c.params.chat_id === 6).map((c) => c.at);
    expect(toSix).toHaveLength(3);
    for (let i = 1; i < toSix.length; i++) expect(toSix[i]! - toSix[i - 1]!).toBeGreaterThanOrEqual(290);
    const toSeven = calls.find((c) => c.params.chat_id === 7)!;
    expect(toSeven.at - toSix[0]!).toBeLessThan(200);
  });
});
