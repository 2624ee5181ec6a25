/**
 * Credits in the chat, against the fake Bot API and a real database: /buy and Telegram Stars
 * invoices, pre-checkout answers, successful_payment granting once per charge, /balance, the plan
 * reply's cost and balance, createJob's refusals (not enough credits, job limits) as replies, and
 * Reject → confirmation → cancelJob.
 */
import { and, eq, like } from "drizzle-orm";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balance, grant, reserve } from "@/lib/credits/ledger";
import { estimateJob } from "@/lib/credits/pricing";
import type { Db, DbHandle } from "@/lib/db";
import { creditLedger, jobs, segments } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import type { OutgoingEvent } from "@/lib/studio/jobs";
import { findTelegramUser } from "@/lib/studio/users";
import { FakeBotApi, type FakeUser, type RecordedCall } from "../fake-bot-api";
import { CREDIT_PACKS } from "../payments";
import { createBot } from "./create-bot";

let handle: DbHandle;
let fake: FakeBotApi;
let bot: Bot;
const events: OutgoingEvent[] = [];
const logged: string[] = [];
let nextUserId = 900_001;

const FORMAT = { segmentCount: 3, segmentSeconds: 2 };

/** A new Telegram user per test, so balances and job limits do not mix. */
const newUser = (language_code = "en"): FakeUser => ({ id: nextUserId++, first_name: "Pat", language_code });
const send = (update: unknown) => bot.handleUpdate(update as Update);
const sentTo = (chatId: number, method: string) => fake.callsTo(chatId).filter((c) => c.method === method);
const lastText = (chatId: number) => String(sentTo(chatId, "sendMessage").at(-1)?.params.text);
const resultOf = (call: RecordedCall) => (call.response as { result: { message_id: number } }).result;
const inlineButtons = (call: RecordedCall) =>
  (call.params.reply_markup as { inline_keyboard: { text: string; callback_data?: string }[][] })
    .inline_keyboard;
async function userIdOf(user: FakeUser): Promise<string> {
  return (await findTelegramUser(handle.db, user.id))!.id;
}
/** The invoice fields a payment for the last invoice sent to `chatId` carries. */
function lastInvoice(chatId: number) {
  const call = sentTo(chatId, "sendInvoice").at(-1)!;
  expect(call.response.ok).toBe(true);
  const prices = call.params.prices as { amount: number }[];
  return {
    currency: String(call.params.currency),
    total_amount: prices[0]!.amount,
    invoice_payload: String(call.params.payload),
  };
}

describe("credits in the Telegram chat", () => {
  beforeAll(async () => {
    fake = await FakeBotApi.start();
    handle = await openTestDb();
    bot = createBot({
      token: fake.token,
      apiRoot: fake.apiRoot,
      botInfo: fake.me,
      deps: {
        db: handle.db,
        sendEvent: async (e) => {
          events.push(e);
        },
        jobDefaults: FORMAT,
        flowControl: { perChatIntervalMs: 5, maxRetryDelaySeconds: 2 },
        log: (message) => logged.push(message),
      },
    });
  });
  afterAll(async () => {
    await handle.close();
    await fake.close();
  });

  it("/buy offers the packs; a pack sends a Telegram Stars invoice the strict fake accepts", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/buy"));
    const chooser = sentTo(user.id, "sendMessage")[0]!;
    expect(chooser.params.text).toBe("Choose a pack of credits, paid in Telegram Stars:");
    expect(inlineButtons(chooser)).toEqual(
      CREDIT_PACKS.map((p) => [
        { text: `${p.credits} credits · ${p.stars} ⭐`, callback_data: `buy:${p.id}` },
      ]),
    );

    const press = fake.callbackUpdate(user, resultOf(chooser).message_id, "buy:credits-500");
    await send(press);
    const [invoice] = sentTo(user.id, "sendInvoice");
    expect(invoice!.response.ok).toBe(true);
    expect(invoice!.params).toMatchObject({
      chat_id: user.id,
      title: "500 Kadr credits",
      payload: "pack:credits-500",
      provider_token: "",
      currency: "XTR",
      prices: [{ label: "500 credits", amount: 225 }],
    });
    expect(String(invoice!.params.description)).toContain(
      `A 6-second video costs about ${estimateJob(FORMAT).total} credits`,
    );
    expect(fake.message(user.id, resultOf(invoice!).message_id)?.invoice).toMatchObject({
      currency: "XTR",
      total_amount: 225,
    });
    expect(fake.unansweredCallbackQueries).not.toContain(press.callback_query.id);

    // "/buy 100" skips the chooser.
    await send(fake.textUpdate(user, "/buy 100"));
    expect(sentTo(user.id, "sendInvoice")[1]!.params).toMatchObject({
      payload: "pack:credits-100",
      prices: [{ label: "100 credits", amount: 50 }],
    });
    expect(sentTo(user.id, "sendMessage")).toHaveLength(1);
  });

  it("the fake refuses Stars invoices Telegram refuses", async () => {
    const call = (params: Record<string, unknown>) =>
      fetch(`${fake.apiRoot}/bot${fake.token}/sendInvoice`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chat_id: 5,
          title: "100 credits",
          description: "Credits",
          payload: "pack:credits-100",
          currency: "XTR",
          prices: [{ label: "100 credits", amount: 50 }],
          ...params,
        }),
      }).then((r) => r.json() as Promise<{ ok: boolean; description?: string }>);
    expect((await call({})).ok).toBe(true);
    expect((await call({ provider_token: "284685063:TEST:abc" })).description).toMatch(
      /STARS_INVOICE_INVALID/,
    );
    const twoPrices = [
      { label: "a", amount: 1 },
      { label: "b", amount: 2 },
    ];
    expect((await call({ prices: twoPrices })).description).toMatch(/STARS_INVOICE_INVALID/);
    expect((await call({ payload: "" })).description).toMatch(/INVOICE_PAYLOAD_INVALID/);
    expect((await call({ payload: "x".repeat(129) })).description).toMatch(/INVOICE_PAYLOAD_INVALID/);
    expect((await call({ title: "t".repeat(33) })).ok).toBe(false);
    expect((await call({ description: "" })).ok).toBe(false);
    expect((await call({ description: "d".repeat(256) })).ok).toBe(false);
    expect((await call({ currency: "USD" })).description).toMatch(/PAYMENT_PROVIDER_INVALID/);
    expect((await call({ prices: [{ label: "x", amount: 1.5 }] })).ok).toBe(false);
  });

  it("answers pre-checkout ok for a known pack at its price, and refuses anything else", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/buy 2000"));
    const invoice = lastInvoice(user.id);

    const good = fake.preCheckoutUpdate(user, invoice);
    await send(good);
    const answers = () => fake.callsOf("answerPreCheckoutQuery");
    expect(answers().at(-1)!.params).toEqual({ pre_checkout_query_id: good.pre_checkout_query.id, ok: true });
    expect(answers().at(-1)!.response.ok).toBe(true);

    for (const wrong of [
      { ...invoice, invoice_payload: "pack:credits-999" },
      { ...invoice, total_amount: invoice.total_amount - 1 },
      { ...invoice, currency: "USD" },
    ]) {
      const update = fake.preCheckoutUpdate(user, wrong);
      await send(update);
      expect(answers().at(-1)!.params).toEqual({
        pre_checkout_query_id: update.pre_checkout_query.id,
        ok: false,
        error_message: "This offer is no longer available. Send /buy to see the current packs.",
      });
      expect(answers().at(-1)!.response.ok).toBe(true);
    }
    const russian = newUser("ru");
    await send(fake.preCheckoutUpdate(russian, { ...invoice, invoice_payload: "junk" }));
    expect(String(answers().at(-1)!.params.error_message)).toMatch(/^Это предложение больше недоступно/);
    expect(fake.unansweredPreCheckoutQueries).toEqual([]);
  });

  it("grants a successful payment exactly once, however often it is delivered", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/buy 500"));
    const userId = await userIdOf(user);
    const before = await balance(handle.db, userId);
    const paid = fake.successfulPaymentUpdate(user, lastInvoice(user.id), "stxCharge-1");
    const messagesBefore = sentTo(user.id, "sendMessage").length;

    await send(paid);
    await send(paid); // a webhook redelivery
    await Promise.all([send(paid), send(paid)]); // and two more at once

    const rows = await handle.db
      .select()
      .from(creditLedger)
      .where(and(eq(creditLedger.userId, userId), like(creditLedger.idempotencyKey, "stars:%")));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "grant", amount: 500, idempotencyKey: "stars:stxCharge-1" });
    const after = await balance(handle.db, userId);
    expect(after.available).toBe(before.available + 500);
    const confirmations = sentTo(user.id, "sendMessage").slice(messagesBefore);
    expect(confirmations.map((c) => c.params.text)).toEqual([
      `✅ 500 credits added. You now have ${after.available} credits available.`,
    ]);

    // Another charge is another top-up, granted once even when its first two deliveries race.
    const second = fake.successfulPaymentUpdate(user, lastInvoice(user.id), "stxCharge-2");
    await Promise.all([send(second), send(second)]);
    expect((await balance(handle.db, userId)).available).toBe(before.available + 1000);
    const keys = await handle.db
      .select({ key: creditLedger.idempotencyKey })
      .from(creditLedger)
      .where(like(creditLedger.idempotencyKey, "stars:%"));
    expect(keys.map((k) => k.key).sort()).toEqual(["stars:stxCharge-1", "stars:stxCharge-2"]);
  });

  it("does not grant a payment for an unknown pack, and says so", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/balance"));
    const userId = await userIdOf(user);
    const before = await balance(handle.db, userId);
    await send(
      fake.successfulPaymentUpdate(
        user,
        { currency: "XTR", total_amount: 10, invoice_payload: "pack:gone" },
        "stxUnknown",
      ),
    );
    expect(await balance(handle.db, userId)).toEqual(before);
    expect(lastText(user.id)).toMatch(/quote this id: stxUnknown$/);
    expect(logged.some((m) => m.includes("stxUnknown"))).toBe(true);
  });

  it("/balance shows credits available and reserved, with a Buy button", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/start"));
    const userId = await userIdOf(user);
    await grant(handle.db, { userId, amount: 70, key: `test-grant:${userId}` });
    await reserve(handle.db, { userId, jobId: null, amount: 30, key: `test-hold:${userId}` });
    const credits = await balance(handle.db, userId);
    expect(credits.reserved).toBe(30);

    await send(fake.textUpdate(user, "/balance"));
    const reply = sentTo(user.id, "sendMessage").at(-1)!;
    expect(reply.params.text).toBe(
      `💳 Credits: ${credits.available} available, 30 reserved for videos in progress.`,
    );
    expect(inlineButtons(reply)).toEqual([[{ text: "⭐ Buy credits", callback_data: "buy" }]]);

    // The button opens the pack chooser.
    await send(fake.callbackUpdate(user, resultOf(reply).message_id, "buy"));
    expect(lastText(user.id)).toBe("Choose a pack of credits, paid in Telegram Stars:");

    const russian = newUser("ru");
    await send(fake.textUpdate(russian, "/balance"));
    expect(lastText(russian.id)).toMatch(/^💳 Кредиты: \d+ доступно, 0 зарезервировано/);
  });

  it("a topic's plan shows the cost in credits and the balance after the reservation", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/start"));
    const userId = await userIdOf(user);
    await grant(handle.db, { userId, amount: 50, key: `test-grant:${userId}` });

    await send(fake.textUpdate(user, "Lighthouses"));
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId));
    expect(job).toMatchObject({ topic: "Lighthouses", ...FORMAT });
    expect(events.some((e) => e.name === "video/job.created" && e.data.jobId === job!.id)).toBe(true);
    const cost = estimateJob(FORMAT).total;
    const credits = await balance(handle.db, userId);
    const plan = lastText(user.id);
    expect(plan).toContain(`Plan: 3 segments × 2 s ≈ 6 s, 16:9\nCost: ${cost} credits\n`);
    expect(plan).toMatch(
      new RegExp(`\\nYour credits: ${credits.available} available, ${credits.reserved} reserved\\.$`),
    );
  });

  it("not enough credits: the reply names the shortfall, offers Buy, and creates no job", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/start"));
    const userId = await userIdOf(user);
    // Leave 5 credits available, whatever the starting grant was.
    await grant(handle.db, { userId, amount: 10, key: `test-grant:${userId}` });
    const { available } = await balance(handle.db, userId);
    await reserve(handle.db, { userId, jobId: null, amount: available - 5, key: `test-hold:${userId}` });
    const needed = estimateJob(FORMAT).total;

    await send(fake.textUpdate(user, "Volcanoes"));
    const reply = sentTo(user.id, "sendMessage").at(-1)!;
    expect(reply.params.text).toBe(
      `Not enough credits: this needs ${needed} and you have 5. Top up at least ${needed - 5} credits to go on.`,
    );
    expect(inlineButtons(reply)).toEqual([[{ text: "⭐ Buy credits", callback_data: "buy" }]]);
    expect(await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId))).toEqual([]);
    expect((await balance(handle.db, userId)).available).toBe(5);

    const russian = newUser("ru");
    await send(fake.textUpdate(russian, "/start"));
    const russianId = await userIdOf(russian);
    const held = (await balance(handle.db, russianId)).available;
    if (held > 0)
      await reserve(handle.db, { userId: russianId, jobId: null, amount: held, key: "test-hold:ru" });
    await send(fake.textUpdate(russian, "Вулканы"));
    expect(lastText(russian.id)).toBe(
      `Не хватает кредитов: нужно ${needed}, а у вас 0. Пополните баланс хотя бы на ${needed}, чтобы продолжить.`,
    );
    expect(inlineButtons(sentTo(russian.id, "sendMessage").at(-1)!)).toEqual([
      [{ text: "⭐ Купить кредиты", callback_data: "buy" }],
    ]);
  });

  it("a job limit is answered with its message, in the user's language", async () => {
    for (const language of ["en", "ru"]) {
      const user = newUser(language);
      await send(fake.textUpdate(user, "/start"));
      const userId = await userIdOf(user);
      await grant(handle.db, { userId, amount: 1000, key: `test-grant:${userId}` });
      // Default limit (KADR_MAX_ACTIVE_JOBS): 2 unfinished jobs at a time; these stay queued.
      for (let i = 0; i < 5; i++) {
        await send(fake.textUpdate(user, `Topic ${i}`));
        if (!lastText(user.id).startsWith("🎬")) break;
      }
      expect(await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId))).toHaveLength(2);
      const refusal = lastText(user.id);
      if (language === "en") expect(refusal).toMatch(/videos in progress \(at most \d+ at a time\)/);
      else
        expect(refusal).toMatch(
          /^Сейчас нельзя начать ещё одно видео: достигнут лимит\. Попробуйте снова через 1 минуту\.$/,
        );
    }
  });

  it("Reject asks first; Yes cancels the job and reports the balance, No keeps it", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/start"));
    const userId = await userIdOf(user);
    await grant(handle.db, { userId, amount: 100, key: `test-grant:${userId}` });
    await send(fake.textUpdate(user, "Glaciers"));
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId));

    await send(fake.textUpdate(user, "✖️ Reject"));
    const confirm = sentTo(user.id, "sendMessage").at(-1)!;
    expect(confirm.params.text).toBe("Cancel “Glaciers”? The job stops and cannot be resumed.");
    expect(inlineButtons(confirm)).toEqual([
      [
        { text: "Yes, cancel", callback_data: `cancel:${job!.id}` },
        { text: "No", callback_data: `keep:${job!.id}` },
      ],
    ]);
    expect((await handle.db.select().from(jobs).where(eq(jobs.id, job!.id)))[0]!.status).toBe("queued");

    // No: nothing changes.
    const no = fake.callbackUpdate(user, resultOf(confirm).message_id, `keep:${job!.id}`);
    await send(no);
    expect((await handle.db.select().from(jobs).where(eq(jobs.id, job!.id)))[0]!.status).toBe("queued");
    expect(fake.message(user.id, resultOf(confirm).message_id)?.text).toBe("Kept going.");

    // Yes: cancelJob runs; the confirmation turns into the outcome.
    await send(fake.textUpdate(user, "✖️ Reject"));
    const again = sentTo(user.id, "sendMessage").at(-1)!;
    const yes = fake.callbackUpdate(user, resultOf(again).message_id, `cancel:${job!.id}`);
    await send(yes);
    expect((await handle.db.select().from(jobs).where(eq(jobs.id, job!.id)))[0]!.status).toBe("cancelled");
    expect(events.some((e) => e.name === "video/job.cancelled" && e.data.jobId === job!.id)).toBe(true);
    const credits = await balance(handle.db, userId);
    expect(fake.message(user.id, resultOf(again).message_id)?.text).toBe(
      `Cancelled. Unused credits go back to you; you now have ${credits.available} credits available.`,
    );
    const answer = fake
      .callsOf("answerCallbackQuery")
      .find((c) => c.params.callback_query_id === yes.callback_query.id);
    expect(answer?.params.text).toBe("Cancelled.");

    // Pressing Yes again (the job is final): the outcome says why, nothing crashes.
    const twice = fake.callbackUpdate(user, resultOf(again).message_id, `cancel:${job!.id}`);
    await send(twice);
    expect(fake.message(user.id, resultOf(again).message_id)?.text).toMatch(/^Could not cancel: /);
    expect(fake.unansweredCallbackQueries).toEqual([]);
  });
  it("a retry without credits answers the button and posts the shortfall with Buy", async () => {
    const user = newUser();
    await send(fake.textUpdate(user, "/start"));
    const userId = await userIdOf(user);
    await grant(handle.db, { userId, amount: 100, key: `test-grant:${userId}` });
    await send(fake.textUpdate(user, "Dunes"));
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.ownerId, userId));
    await handle.db.update(jobs).set({ status: "awaiting_images_approval" }).where(eq(jobs.id, job!.id));
    await handle.db.insert(segments).values(
      [0, 1, 2].map((index) => ({
        jobId: job!.id,
        index,
        section: "main" as const,
        narration: `Line ${index}`,
        caption: `Line ${index}`,
        startSeconds: index * 2,
        seconds: 2,
        imagePrompt: "dunes",
        motionPrompt: "pan",
        imageStatus: index === 1 ? ("failed" as const) : ("ready" as const),
      })),
    );
    const { available } = await balance(handle.db, userId);
    await reserve(handle.db, { userId, jobId: null, amount: available, key: `test-hold:${userId}` });

    await send(fake.textUpdate(user, "✅ Approve"));
    const offer = sentTo(user.id, "sendMessage").at(-1)!;
    expect(inlineButtons(offer)).toEqual([[{ text: "🔁 Retry", callback_data: `retry:${job!.id}:image` }]]);
    const press = fake.callbackUpdate(user, resultOf(offer).message_id, `retry:${job!.id}:image`);
    await send(press);

    const refusal = sentTo(user.id, "sendMessage").at(-1)!;
    expect(refusal.params.text).toMatch(/^Not enough credits: this needs 1 and you have 0\./);
    expect(inlineButtons(refusal)).toEqual([[{ text: "⭐ Buy credits", callback_data: "buy" }]]);
    const answer = fake
      .callsOf("answerCallbackQuery")
      .find((c) => c.params.callback_query_id === press.callback_query.id);
    expect(String(answer?.params.text)).toMatch(/^Not enough credits/);
    const [segment] = await handle.db
      .select()
      .from(segments)
      .where(and(eq(segments.jobId, job!.id), eq(segments.index, 1)));
    expect(segment!.imageStatus).toBe("failed");
  });

  it("a payment that cannot be credited fails its update (so Telegram redelivers it); others are contained", async () => {
    const broken = new Proxy({} as Db, {
      get: () => () => {
        throw new Error("database unavailable");
      },
    });
    const failing = createBot({
      token: fake.token,
      apiRoot: fake.apiRoot,
      botInfo: fake.me,
      deps: { db: broken, sendEvent: async () => {}, log: (message) => logged.push(message) },
    });
    const user = newUser();
    const payment = fake.successfulPaymentUpdate(
      user,
      { currency: "XTR", total_amount: 50, invoice_payload: "pack:credits-100" },
      "stxDbDown",
    );
    await expect(failing.handleUpdate(payment as Update)).rejects.toThrow(/database unavailable/);
    await expect(failing.handleUpdate(fake.textUpdate(user, "/balance") as Update)).resolves.toBeUndefined();
    expect(logged.filter((m) => m.startsWith(`telegram update ${payment.update_id} failed`))).toHaveLength(1);
  });
});
